//! The greenhouse-gas balance of a report (DESIGN section 4): the single-use containers the
//! uses replaced, minus the washes, the transport and the reusable containers commissioned.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::figures::Counters;

/// One version of an emission factor, in kg CO2e per `per`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Factor {
    pub id: String,
    pub kind: String,
    pub subject: String,
    pub per: String,
    pub value: f64,
    pub unit: String,
    pub source: String,
    pub version: i64,
}

/// What the balance needs of a container type.
#[derive(Debug, Clone)]
pub struct TypeInfo {
    pub id: String,
    pub name: String,
    pub material: String,
    pub tare_mass_g: f64,
    pub single_use_mass_g: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Balance {
    /// Null when a factor it needs is missing.
    pub avoided_co2e_kg: Option<f64>,
    /// The factor versions used.
    pub factors: Vec<Factor>,
    /// The factors that would be needed and are not there.
    pub co2e_missing: Vec<String>,
}

/// The latest version of each (kind, subject).
pub fn latest(all: &[Factor]) -> Vec<Factor> {
    let mut best: BTreeMap<(String, String), Factor> = BTreeMap::new();
    for f in all {
        let key = (f.kind.clone(), f.subject.clone());
        if best.get(&key).is_none_or(|b| b.version < f.version) {
            best.insert(key, f.clone());
        }
    }
    best.into_values().collect()
}

struct Lookup<'a> {
    factors: &'a [Factor],
    used: BTreeMap<String, Factor>,
    missing: Vec<String>,
}

impl Lookup<'_> {
    fn find(&mut self, kind: &str, subject: &str) -> Option<f64> {
        let f = self
            .factors
            .iter()
            .find(|f| f.kind == kind && f.subject == subject)?;
        self.used.insert(f.id.clone(), f.clone());
        Some(f.value)
    }

    /// kg CO2e for one container of type `t`: its own factor, else its material's per kg.
    fn per_container(&mut self, kind: &str, t: &TypeInfo, mass_g: f64) -> Option<f64> {
        if let Some(v) = self.find(kind, &t.id) {
            return Some(v);
        }
        if let Some(v) = self.find(kind, &t.material.trim().to_lowercase()) {
            return Some(v * mass_g / 1000.0);
        }
        self.missing.push(format!(
            "{kind} for {} ({}): add one for the type or for the material",
            t.name, t.material
        ));
        None
    }
}

/// The balance of a report: `by_type` its counters per container type, `vehicle_km` its
/// vehicle-km per vehicle, `factors` the latest version of each factor.
pub fn balance(
    by_type: &[(String, Counters)],
    types: &HashMap<String, TypeInfo>,
    vehicle_km: &BTreeMap<String, f64>,
    factors: &[Factor],
) -> Balance {
    let mut look = Lookup {
        factors,
        used: BTreeMap::new(),
        missing: Vec::new(),
    };
    let mut total = 0.0;
    let mut washes = 0;
    for (type_id, c) in by_type {
        washes += c.washes;
        let Some(t) = types.get(type_id) else {
            look.missing
                .push(format!("container type {type_id} is unknown"));
            continue;
        };
        if c.fills > 0 {
            if let Some(v) = look.per_container("single_use", t, t.single_use_mass_g) {
                total += c.fills as f64 * v;
            }
        }
        if c.commissioned > 0 {
            if let Some(v) = look.per_container("reusable", t, t.tare_mass_g) {
                total -= c.commissioned as f64 * v;
            }
        }
    }
    if washes > 0 {
        match look.find("wash", "") {
            Some(v) => total -= washes as f64 * v,
            None => look
                .missing
                .push("wash: add the factor of one container washed".to_owned()),
        }
    }
    for (vehicle, km) in vehicle_km.iter().filter(|(_, km)| **km > 0.0) {
        match look.find("transport", vehicle) {
            Some(v) => total -= km * v,
            None => look.missing.push(format!(
                "transport for {vehicle}: add its factor per vehicle-km"
            )),
        }
    }
    let missing = look.missing;
    Balance {
        avoided_co2e_kg: missing.is_empty().then_some(total),
        factors: look.used.into_values().collect(),
        co2e_missing: missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn factor(id: &str, kind: &str, subject: &str, value: f64, version: i64) -> Factor {
        Factor {
            id: id.into(),
            kind: kind.into(),
            subject: subject.into(),
            per: String::new(),
            value,
            unit: String::new(),
            source: "test".into(),
            version,
        }
    }

    fn jar() -> HashMap<String, TypeInfo> {
        let t = TypeInfo {
            id: "jar".into(),
            name: "Bocal".into(),
            material: "Glass".into(),
            tare_mass_g: 200.0,
            single_use_mass_g: 150.0,
        };
        [("jar".to_owned(), t)].into_iter().collect()
    }

    #[test]
    fn the_balance_follows_its_definition() {
        let factors = latest(&[
            factor("g1", "single_use", "glass", 0.5, 1),
            factor("g2", "single_use", "glass", 0.8, 2),
            factor("r1", "reusable", "glass", 1.0, 1),
            factor("w1", "wash", "", 0.01, 1),
            factor("v1", "transport", "van", 0.3, 1),
        ]);
        let counters = Counters {
            fills: 10,
            washes: 8,
            commissioned: 2,
            ..Counters::default()
        };
        let km: BTreeMap<String, f64> = [("van".to_owned(), 20.0)].into_iter().collect();
        let b = balance(&[("jar".into(), counters)], &jar(), &km, &factors);
        // 10 x 0.150 kg x 0.8 - 8 x 0.01 - 20 x 0.3 - 2 x 0.200 kg x 1.0
        let expected = 10.0 * 0.15 * 0.8 - 8.0 * 0.01 - 20.0 * 0.3 - 2.0 * 0.2;
        assert!((b.avoided_co2e_kg.expect("complete") - expected).abs() < 1e-12);
        let used: Vec<&str> = b.factors.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(used, vec!["g2", "r1", "v1", "w1"]);
    }

    #[test]
    fn a_type_factor_wins_over_its_material() {
        let factors = latest(&[
            factor("g", "single_use", "glass", 0.8, 1),
            factor("j", "single_use", "jar", 0.05, 1),
        ]);
        let b = balance(
            &[(
                "jar".into(),
                Counters {
                    fills: 4,
                    ..Counters::default()
                },
            )],
            &jar(),
            &BTreeMap::new(),
            &factors,
        );
        assert_eq!(b.avoided_co2e_kg, Some(0.2));
    }

    #[test]
    fn a_missing_factor_leaves_the_figure_null_and_says_which() {
        let km: BTreeMap<String, f64> = [("truck".to_owned(), 5.0)].into_iter().collect();
        let b = balance(
            &[(
                "jar".into(),
                Counters {
                    fills: 1,
                    ..Counters::default()
                },
            )],
            &jar(),
            &km,
            &[],
        );
        assert_eq!(b.avoided_co2e_kg, None);
        assert_eq!(
            b.co2e_missing,
            vec![
                "single_use for Bocal (Glass): add one for the type or for the material".to_owned(),
                "transport for truck: add its factor per vehicle-km".to_owned(),
            ]
        );
    }
}
