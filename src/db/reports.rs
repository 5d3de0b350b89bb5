//! The loop report: counters summed over the period, the fleet, and the shipments.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};

use super::sums::{fleet, shipments, totals_by_type, types_by_id, Scope};
use super::DbConnection;
use crate::domain::co2e::{balance, latest, Balance, TypeInfo};
use crate::domain::figures::Counters;
use crate::domain::report::{compute, Figures, Inputs};

/// A report's figures and its greenhouse-gas balance.
pub struct ReportData {
    pub balance: Balance,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub figures: Figures,
    /// Counters per container type.
    pub by_type: Vec<(String, Counters)>,
    /// Vehicle-km of the period's shipments by vehicle (`other` when none was given).
    pub vehicle_km_by_vehicle: BTreeMap<String, f64>,
}

pub fn loop_report(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    scope: &Scope,
) -> anyhow::Result<ReportData> {
    let types = types_by_id(conn)?;
    let by_type = totals_by_type(conn, from, to, scope)?;
    let mut totals = Counters::default();
    let mut avoided_waste_g = 0.0;
    for (type_id, c) in &by_type {
        totals.add(c);
        let t = types
            .get(type_id)
            .ok_or_else(|| anyhow::anyhow!("counters name an unknown container type {type_id}"))?;
        avoided_waste_g += c.fills as f64 * t.single_use_mass_g - c.retired as f64 * t.tare_mass_g;
    }
    let (alive_at_start, fleet_days) = fleet(conn, from, to, scope.type_id.as_deref())?;
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default();
    let lines = shipments(conn, midnight(from), midnight(to), scope)?;
    let mut vehicle_km_by_vehicle = BTreeMap::new();
    for fact in &lines {
        *vehicle_km_by_vehicle
            .entry(fact.vehicle.clone().unwrap_or_else(|| "other".to_owned()))
            .or_insert(0.0) += fact.line.distance_km;
    }
    let inputs = Inputs {
        from,
        to,
        totals,
        alive_at_start,
        fleet_days,
        shipments: lines.into_iter().map(|f| f.line).collect(),
        avoided_waste_g,
    };
    let infos: HashMap<String, TypeInfo> = types
        .values()
        .map(|t| {
            let info = TypeInfo {
                id: t.id.clone(),
                name: t.name.clone(),
                material: t.material.clone(),
                tare_mass_g: t.tare_mass_g,
                single_use_mass_g: t.single_use_mass_g,
            };
            (t.id.clone(), info)
        })
        .collect();
    let factors = latest(&crate::db::factors::all(conn)?);
    let balance = balance(&by_type, &infos, &vehicle_km_by_vehicle, &factors);
    Ok(ReportData {
        balance,
        from,
        to,
        figures: compute(&inputs),
        by_type,
        vehicle_km_by_vehicle,
    })
}

/// The origin-destination matrix of the shipments departed in [from, to), for pairs that
/// touch the scope's site (all pairs without one).
pub fn flows(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    scope: &Scope,
) -> anyhow::Result<Vec<Flow>> {
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default();
    let facts = shipments(conn, midnight(from), midnight(to), scope)?;
    let mut pairs: BTreeMap<(String, String), Flow> = BTreeMap::new();
    for f in facts {
        let flow = pairs
            .entry((f.from_site_id.clone(), f.to_site_id.clone()))
            .or_insert_with(|| Flow {
                from_site_id: f.from_site_id.clone(),
                to_site_id: f.to_site_id.clone(),
                shipments: 0,
                containers: 0,
                vehicle_km: 0.0,
                container_km: 0.0,
            });
        flow.shipments += 1;
        flow.containers += f.line.containers;
        flow.vehicle_km += f.line.distance_km;
        flow.container_km += f.line.distance_km * f.line.containers as f64;
    }
    Ok(pairs.into_values().collect())
}

/// One pair of sites in the flows between sites.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Flow {
    pub from_site_id: String,
    pub to_site_id: String,
    pub shipments: i64,
    pub containers: i64,
    pub vehicle_km: f64,
    pub container_km: f64,
}

/// The calendar months that overlap [from, to), each clipped to it.
pub fn months(from: NaiveDate, to: NaiveDate) -> Vec<(String, NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let mut start = from;
    while start < to {
        let first = start.with_day(1).unwrap_or(start);
        let next = if first.month() == 12 {
            NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
        }
        .unwrap_or(to);
        let end = next.min(to);
        out.push((start.format("%Y-%m").to_string(), start, end));
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_clipped_to_the_period() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        let got = months(d(2025, 12, 15), d(2026, 2, 10));
        assert_eq!(
            got,
            vec![
                ("2025-12".to_owned(), d(2025, 12, 15), d(2026, 1, 1)),
                ("2026-01".to_owned(), d(2026, 1, 1), d(2026, 2, 1)),
                ("2026-02".to_owned(), d(2026, 2, 1), d(2026, 2, 10)),
            ]
        );
        assert!(months(d(2026, 1, 1), d(2026, 1, 1)).is_empty());
    }
}
