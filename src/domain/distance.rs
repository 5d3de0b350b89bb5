//! The distance of a shipment leg (DESIGN section 4).

use serde::Serialize;

/// Mean Earth radius (IUGG), in km.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DistanceSource {
    Explicit,
    Route,
    Haversine,
}

impl DistanceSource {
    pub fn as_str(self) -> &'static str {
        match self {
            DistanceSource::Explicit => "explicit",
            DistanceSource::Route => "route",
            DistanceSource::Haversine => "haversine",
        }
    }
}

/// Great-circle distance in km between two WGS84 points given in degrees.
pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
}

/// The explicit distance when given, else the route, else the great circle times the detour
/// factor.
pub fn leg_distance(
    explicit: Option<f64>,
    route: Option<f64>,
    from: (f64, f64),
    to: (f64, f64),
    detour_factor: f64,
) -> (f64, DistanceSource) {
    match (explicit, route) {
        (Some(km), _) => (km, DistanceSource::Explicit),
        (None, Some(km)) => (km, DistanceSource::Route),
        (None, None) => (
            haversine_km(from.0, from.1, to.0, to.1) * detour_factor,
            DistanceSource::Haversine,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_degree_of_latitude_is_r_times_pi_over_180() {
        let expected = EARTH_RADIUS_KM * std::f64::consts::PI / 180.0; // 111.19508 km
        assert!((haversine_km(48.0, -1.0, 49.0, -1.0) - expected).abs() < 1e-9);
    }

    #[test]
    fn rennes_to_nantes_is_about_98_km_as_the_crow_flies() {
        // Rennes (48.1173, -1.6778) to Nantes (47.2184, -1.5536): 100.5 km on published maps.
        let km = haversine_km(48.1173, -1.6778, 47.2184, -1.5536);
        assert!((km - 100.4).abs() < 0.5, "{km}");
    }

    #[test]
    fn the_source_follows_what_is_known() {
        let a = (48.0, -1.0);
        let b = (49.0, -1.0);
        assert_eq!(
            leg_distance(Some(8.0), Some(9.0), a, b, 1.3),
            (8.0, DistanceSource::Explicit)
        );
        assert_eq!(
            leg_distance(None, Some(9.0), a, b, 1.3),
            (9.0, DistanceSource::Route)
        );
        let (km, source) = leg_distance(None, None, a, b, 1.3);
        assert_eq!(source, DistanceSource::Haversine);
        assert!((km - 111.19508 * 1.3).abs() < 1e-3, "{km}");
    }
}
