//! The loop report's arithmetic (DESIGN section 4), from summed counters.

use chrono::NaiveDate;
use serde::Serialize;

use super::figures::Counters;

const US_PER_DAY: f64 = 86_400_000_000.0;
const MS_PER_DAY: f64 = 86_400_000.0;

/// Commissionings and retirements of one day of the period, for the fleet's size.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FleetDay {
    pub day: NaiveDate,
    pub commissioned: i64,
    pub commissioned_us: i64,
    pub retired: i64,
    pub retired_us: i64,
}

/// One shipment departed in the period, as the report counts it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShipmentLine {
    pub from_kind: String,
    pub to_kind: String,
    pub distance_km: f64,
    /// Containers on board (of the type, when the report is narrowed to one).
    pub containers: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Leg {
    pub from_kind: String,
    pub to_kind: String,
    pub shipments: i64,
    pub vehicle_km: f64,
    pub container_km: f64,
}

/// What the report is computed from.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Counters summed over the period (and the site and type asked for).
    pub totals: Counters,
    /// Containers alive at the start of the period: commissioned minus retired before it.
    pub alive_at_start: i64,
    /// Per day of the period, loop-wide.
    pub fleet_days: Vec<FleetDay>,
    pub shipments: Vec<ShipmentLine>,
    /// Single-use packaging avoided by the fills, minus the tare of the containers retired,
    /// in grams.
    pub avoided_waste_g: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Figures {
    /// Fills in the period: each is one use.
    pub uses: i64,
    /// Of those, a container's very first fill.
    pub first_uses: i64,
    /// `uses - first_uses`.
    pub reuses: i64,
    /// Containers in service on average over the period.
    pub fleet_avg: f64,
    /// `uses / fleet_avg * 365 / days`; null without a fleet.
    pub rotations_per_year: Option<f64>,
    /// Average days between two fills of a container; null when no fill had an earlier one.
    pub avg_cycle_days: Option<f64>,
    /// Containers brought back.
    pub returns: i64,
    /// Filled containers that arrived at a shop in the period.
    pub trips: i64,
    /// Of those, the ones back since.
    pub trips_returned: i64,
    /// `trips_returned / trips`; null without trips.
    pub return_rate: Option<f64>,
    /// Containers retired as broken in the period.
    pub broken: i64,
    /// Containers retired as lost in the period.
    pub lost: i64,
    /// `broken / uses`; null without uses.
    pub breakage_rate: Option<f64>,
    /// `lost / uses`; null without uses.
    pub loss_rate: Option<f64>,
    /// Shipments that left in the period.
    pub shipments: i64,
    /// Km the vehicles drove for them.
    pub vehicle_km: f64,
    /// Km times containers on board, summed.
    pub container_km: f64,
    /// `container_km / uses`; null without uses.
    pub km_per_use: Option<f64>,
    /// Single-use packaging the uses replaced, minus the containers retired, in kg.
    pub avoided_waste_kg: f64,
    /// The transport split by the kinds of site a shipment goes from and to.
    pub legs: Vec<Leg>,
}

fn ratio(num: f64, den: f64) -> Option<f64> {
    (den != 0.0).then(|| num / den)
}

/// The container-days of the fleet within [from, to): each container counts the
/// fractional days between its commissioning and its retirement that fall in the period.
pub fn fleet_container_days(
    from: NaiveDate,
    to: NaiveDate,
    alive_at_start: i64,
    days: &[FleetDay],
) -> f64 {
    let period = (to - from).num_days() as f64;
    let mut total = alive_at_start as f64 * period;
    for d in days.iter().filter(|d| d.day >= from && d.day < to) {
        let left = (to - d.day).num_days() as f64;
        total += d.commissioned as f64 * left - d.commissioned_us as f64 / US_PER_DAY;
        total -= d.retired as f64 * left - d.retired_us as f64 / US_PER_DAY;
    }
    total
}

pub fn compute(i: &Inputs) -> Figures {
    let c = &i.totals;
    let days = (i.to - i.from).num_days() as f64;
    let fleet_avg = if days > 0.0 {
        fleet_container_days(i.from, i.to, i.alive_at_start, &i.fleet_days) / days
    } else {
        0.0
    };
    let uses = c.fills as f64;
    let mut legs: Vec<Leg> = Vec::new();
    for s in &i.shipments {
        let pos = match legs
            .iter()
            .position(|l| l.from_kind == s.from_kind && l.to_kind == s.to_kind)
        {
            Some(pos) => pos,
            None => {
                legs.push(Leg {
                    from_kind: s.from_kind.clone(),
                    to_kind: s.to_kind.clone(),
                    shipments: 0,
                    vehicle_km: 0.0,
                    container_km: 0.0,
                });
                legs.len() - 1
            }
        };
        let leg = &mut legs[pos];
        leg.shipments += 1;
        leg.vehicle_km += s.distance_km;
        leg.container_km += s.distance_km * s.containers as f64;
    }
    legs.sort_by(|a, b| (&a.from_kind, &a.to_kind).cmp(&(&b.from_kind, &b.to_kind)));
    let vehicle_km: f64 = i.shipments.iter().map(|s| s.distance_km).sum();
    let container_km: f64 = i
        .shipments
        .iter()
        .map(|s| s.distance_km * s.containers as f64)
        .sum();
    Figures {
        uses: c.fills,
        first_uses: c.first_fills,
        reuses: c.fills - c.first_fills,
        fleet_avg,
        rotations_per_year: (fleet_avg != 0.0 && days > 0.0)
            .then(|| uses / fleet_avg * 365.0 / days),
        avg_cycle_days: ratio(c.cycle_ms as f64 / MS_PER_DAY, c.cycles as f64),
        returns: c.returns,
        trips: c.trips,
        trips_returned: c.trips_returned,
        return_rate: ratio(c.trips_returned as f64, c.trips as f64),
        broken: c.broken,
        lost: c.lost,
        breakage_rate: ratio(c.broken as f64, uses),
        loss_rate: ratio(c.lost as f64, uses),
        shipments: i.shipments.len() as i64,
        vehicle_km,
        container_km,
        km_per_use: ratio(container_km, uses),
        avoided_waste_kg: i.avoided_waste_g / 1000.0,
        legs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).expect("day")
    }

    #[test]
    fn fleet_days_count_each_container_from_commissioning_to_retirement() {
        // Period 1..11 March (10 days). 2 alive before; one commissioned on the 3rd at 12:00
        // (8 - 0.5 = 7.5 days in the period), one retired on the 5th at 06:00 (6 - 0.25 = 5.75
        // days it is no longer there).
        let days = [
            FleetDay {
                day: day(3),
                commissioned: 1,
                commissioned_us: 12 * 3_600_000_000,
                ..FleetDay::default()
            },
            FleetDay {
                day: day(5),
                retired: 1,
                retired_us: 6 * 3_600_000_000,
                ..FleetDay::default()
            },
        ];
        let total = fleet_container_days(day(1), day(11), 2, &days);
        assert!((total - (20.0 + 7.5 - 5.75)).abs() < 1e-12, "{total}");
    }

    #[test]
    fn ratios_are_null_without_a_denominator() {
        let f = compute(&Inputs {
            from: day(1),
            to: day(11),
            ..Inputs::default()
        });
        assert_eq!(
            (
                f.rotations_per_year,
                f.avg_cycle_days,
                f.return_rate,
                f.breakage_rate,
                f.km_per_use
            ),
            (None, None, None, None, None)
        );
        assert_eq!(f.fleet_avg, 0.0);
    }

    #[test]
    fn figures_follow_their_definitions() {
        let totals = Counters {
            fills: 8,
            first_fills: 3,
            cycles: 4,
            cycle_ms: 4 * 86_400_000 * 9,
            trips: 5,
            trips_returned: 4,
            broken: 1,
            lost: 2,
            ..Counters::default()
        };
        let shipments = vec![
            ShipmentLine {
                from_kind: "producer".into(),
                to_kind: "shop".into(),
                distance_km: 12.0,
                containers: 4,
            },
            ShipmentLine {
                from_kind: "shop".into(),
                to_kind: "washer".into(),
                distance_km: 8.0,
                containers: 3,
            },
            ShipmentLine {
                from_kind: "producer".into(),
                to_kind: "shop".into(),
                distance_km: 10.0,
                containers: 2,
            },
        ];
        let f = compute(&Inputs {
            from: day(1),
            to: day(11),
            totals,
            alive_at_start: 4,
            shipments,
            avoided_waste_g: 1500.0,
            ..Inputs::default()
        });
        assert_eq!((f.uses, f.first_uses, f.reuses), (8, 3, 5));
        assert_eq!(f.fleet_avg, 4.0);
        assert_eq!(f.rotations_per_year, Some(8.0 / 4.0 * 365.0 / 10.0));
        assert_eq!(f.avg_cycle_days, Some(9.0));
        assert_eq!(f.return_rate, Some(0.8));
        assert_eq!((f.breakage_rate, f.loss_rate), (Some(0.125), Some(0.25)));
        assert_eq!(
            (f.shipments, f.vehicle_km, f.container_km),
            (3, 30.0, 48.0 + 24.0 + 20.0)
        );
        assert_eq!(f.km_per_use, Some(92.0 / 8.0));
        assert_eq!(f.avoided_waste_kg, 1.5);
        assert_eq!(
            f.legs,
            vec![
                Leg {
                    from_kind: "producer".into(),
                    to_kind: "shop".into(),
                    shipments: 2,
                    vehicle_km: 22.0,
                    container_km: 68.0
                },
                Leg {
                    from_kind: "shop".into(),
                    to_kind: "washer".into(),
                    shipments: 1,
                    vehicle_km: 8.0,
                    container_km: 24.0
                },
            ]
        );
    }
}
