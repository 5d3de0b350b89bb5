//! The bounds of every number a person or a device types (DESIGN section 2, rule 5): a
//! refused number never reaches a figure. Each bound is far above anything a real loop
//! records and far below what would overflow a sum: 20,000 km is half the Earth's
//! circumference, the longest road leg there is.

/// The range a kind of quantity must fall in, ends included.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    pub min: f64,
    pub max: f64,
    pub unit: &'static str,
}

/// A shipment's or a route's distance.
pub const DISTANCE_KM: Bound = Bound {
    min: 0.0,
    max: 20_000.0,
    unit: "km",
};
/// A container's tare or the single-use packaging it replaces: a big-bag weighs a few kg.
pub const MASS_G: Bound = Bound {
    min: 0.0,
    max: 1_000_000.0,
    unit: "g",
};
/// A container's capacity: a big-bag holds 1 to 2 m3.
pub const CAPACITY_ML: Bound = Bound {
    min: 0.0,
    max: 10_000_000.0,
    unit: "ml",
};
/// The water one wash batch used: a tunnel washer uses a few hundred litres an hour.
pub const WATER_L: Bound = Bound {
    min: 0.0,
    max: 1_000_000.0,
    unit: "l",
};
/// The electricity one wash batch used.
pub const ENERGY_KWH: Bound = Bound {
    min: 0.0,
    max: 100_000.0,
    unit: "kWh",
};
/// A wash programme's temperature.
pub const TEMPERATURE_C: Bound = Bound {
    min: -50.0,
    max: 150.0,
    unit: "°C",
};
/// An emission factor, in kg CO2e per container, kg, kWh or vehicle-km: a kg of virgin
/// glass is about 1, a truck-km about 1.
pub const FACTOR: Bound = Bound {
    min: 0.0,
    max: 10_000.0,
    unit: "kg CO2e",
};

/// The longest period a report covers: a loop's whole life, many times over.
pub const MAX_PERIOD_YEARS: u32 = 20;

/// Whether `[from, to)` is a period a report may cover: in order and at most
/// [`MAX_PERIOD_YEARS`] long.
pub fn period_fits(from: chrono::NaiveDate, to: chrono::NaiveDate) -> bool {
    from < to
        && from
            .checked_add_months(chrono::Months::new(12 * MAX_PERIOD_YEARS))
            .is_some_and(|last| to <= last)
}

/// The longest name (of a site, a container type, a material, a token) and address.
pub const NAME_CHARS: usize = 200;
pub const ADDRESS_CHARS: usize = 500;

/// A name as typed, trimmed: not empty, on one line, with no control character (a line
/// break in a name would break mail headers and CSV rows), and at most `max` characters.
pub fn check_name(field: &str, text: &str, max: usize) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(format!("{field} must not be empty"));
    }
    check_text(field, t, max, false)
}

/// An optional text on one or more lines (an address): none when blank.
pub fn check_lines(field: &str, text: &str, max: usize) -> Result<Option<String>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    check_text(field, t, max, true).map(Some)
}

fn check_text(field: &str, t: &str, max: usize, lines: bool) -> Result<String, String> {
    if let Some(c) = t
        .chars()
        .find(|c| c.is_control() && !(lines && matches!(c, '\n' | '\r')))
    {
        let what = if lines { "" } else { "line breaks, " };
        return Err(format!(
            "{field} holds the control character {c:?}; type it without {what}tabs or other control characters"
        ));
    }
    let n = t.chars().count();
    if n > max {
        return Err(format!("{field} has {n} characters; give at most {max}"));
    }
    Ok(t.replace("\r\n", "\n"))
}

impl Bound {
    pub fn contains(&self, value: f64) -> bool {
        value.is_finite() && value >= self.min && value <= self.max
    }

    /// The value, or a sentence naming `field` and the range it must fall in.
    pub fn check(&self, field: &str, value: f64) -> Result<f64, String> {
        if self.contains(value) {
            Ok(value)
        } else {
            Err(format!(
                "{field} must be a number from {} to {} {}, not {}",
                self.min,
                self.max,
                self.unit,
                shown(value)
            ))
        }
    }
}

/// A number as a person would write it back: 1e300 rather than its 301 digits.
fn shown(value: f64) -> String {
    if value.is_finite() && value != 0.0 && !(1e-6..1e9).contains(&value.abs()) {
        format!("{value:e}")
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_take_their_ends_and_refuse_what_no_loop_records() {
        assert_eq!(DISTANCE_KM.check("distance_km", 20_000.0), Ok(20_000.0));
        assert_eq!(DISTANCE_KM.check("distance_km", 0.0), Ok(0.0));
        for bad in [1.7e308, f64::INFINITY, f64::NAN, -0.5, 20_000.001] {
            let why = DISTANCE_KM.check("distance_km", bad).expect_err("refused");
            assert!(
                why.starts_with("distance_km must be a number from 0 to 20000 km"),
                "{why}"
            );
        }
        assert_eq!(
            DISTANCE_KM.check("distance_km", 1.7e308),
            Err("distance_km must be a number from 0 to 20000 km, not 1.7e308".into())
        );
        assert_eq!(
            check_name("name", "  Biocoop Rennes ", 200),
            Ok("Biocoop Rennes".into())
        );
        assert_eq!(
            check_name("name", "Biocoop\r\nBcc: x@evil.example", 200),
            Err("name holds the control character '\\r'; type it without line breaks, tabs or other control characters".into())
        );
        assert_eq!(
            check_name("name", " ", 200),
            Err("name must not be empty".into())
        );
        assert_eq!(
            check_name("name", &"é".repeat(201), 200),
            Err("name has 201 characters; give at most 200".into())
        );
        assert_eq!(
            check_lines("address", "1 rue X\r\n35000 Rennes", 500),
            Ok(Some("1 rue X\n35000 Rennes".into()))
        );
        assert!(TEMPERATURE_C.contains(-20.0));
        let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).expect("a date");
        assert!(period_fits(day(2006, 2, 28), day(2026, 2, 28)));
        assert!(!period_fits(day(2006, 2, 28), day(2026, 3, 1)));
        assert!(!period_fits(day(1, 1, 1), day(9999, 12, 31)));
        assert!(!period_fits(day(2026, 3, 1), day(2026, 3, 1)));
        assert!(!TEMPERATURE_C.contains(1e300));
    }
}
