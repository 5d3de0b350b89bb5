//! Trips: a filled container received at a shop, until the next return of that container.
//! They give the return curve (Kaplan-Meier: the share of trips returned after N days, with
//! trips still out counted as censored).

use chrono::NaiveDateTime;
use serde::Serialize;

use super::state::{apply, commissioned, Action, Condition, ContainerState, Ev, SiteKind};
use super::timeline::timeline;

/// What a step does to a container's trips.
#[derive(Debug, Clone, PartialEq)]
pub enum TripEvent {
    /// A trip starts: received filled at this shop.
    Opened { at: NaiveDateTime, shop_id: String },
    /// A return: every open trip of the container ends here.
    Returned { at: NaiveDateTime },
}

/// The trip events of `steps`, folded from `start` (none: the first step commissions).
pub fn trip_events<'a>(
    start: Option<&ContainerState>,
    steps: impl IntoIterator<Item = &'a Ev>,
) -> Vec<TripEvent> {
    let mut state = start.cloned();
    let mut out = Vec::new();
    for step in steps {
        if let Some(before) = &state {
            match step.action {
                Action::Receive
                    if step.site_kind == SiteKind::Shop
                        && before.condition == Condition::Filled =>
                {
                    out.push(TripEvent::Opened {
                        at: step.at,
                        shop_id: step.site_id.clone(),
                    });
                }
                Action::Return => out.push(TripEvent::Returned { at: step.at }),
                _ => {}
            }
        }
        state = Some(match &state {
            Some(s) => apply(s, step),
            None => commissioned(step),
        });
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trip {
    pub shop_id: String,
    pub received_at: NaiveDateTime,
    pub returned_at: Option<NaiveDateTime>,
}

/// Every trip of a container, from its recorded events.
pub fn trips_of(recorded: &[Ev]) -> Vec<Trip> {
    let Some((_, steps)) = timeline(recorded) else {
        return vec![];
    };
    let mut trips: Vec<Trip> = Vec::new();
    for e in trip_events(None, steps.iter().map(|s| &s.ev)) {
        match e {
            TripEvent::Opened { at, shop_id } => trips.push(Trip {
                shop_id,
                received_at: at,
                returned_at: None,
            }),
            TripEvent::Returned { at } => {
                for t in trips.iter_mut().filter(|t| t.returned_at.is_none()) {
                    t.returned_at = Some(at);
                }
            }
        }
    }
    trips
}

/// One point of a return curve.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CurvePoint {
    pub days: i64,
    /// Share of trips returned within `days` (1 - the Kaplan-Meier survival).
    pub returned_share: f64,
    /// Trips still out and observed for at least `days`.
    pub at_risk: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReturnCurve {
    pub trips: i64,
    pub returned: i64,
    /// Plain share of the trips returned so far.
    pub return_rate: Option<f64>,
    /// Days after which half the trips are back (null when the curve never reaches half).
    pub median_days: Option<f64>,
    pub curve: Vec<CurvePoint>,
}

/// The days at which the curve is given.
pub const CURVE_DAYS: &[i64] = &[1, 2, 3, 5, 7, 10, 14, 21, 28, 42, 56, 90, 180, 365];

/// Kaplan-Meier over trips given as (days observed, returned?): a returned trip is an event
/// at its duration, one still out is censored at the time it has been out.
pub fn return_curve(observations: &[(f64, bool)]) -> ReturnCurve {
    let mut obs: Vec<(f64, bool)> = observations.to_vec();
    // Events before censorings at equal times, as usual.
    obs.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
    let total = obs.len() as i64;
    let returned = obs.iter().filter(|o| o.1).count() as i64;
    // Survival steps: (time, survival after it).
    let mut steps: Vec<(f64, f64)> = Vec::new();
    let mut survival = 1.0;
    let mut at_risk = total as f64;
    let mut i = 0;
    while i < obs.len() {
        let t = obs[i].0;
        let (mut events, mut leaving) = (0.0, 0.0);
        while i < obs.len() && obs[i].0 == t {
            if obs[i].1 {
                events += 1.0;
            }
            leaving += 1.0;
            i += 1;
        }
        if events > 0.0 {
            survival *= 1.0 - events / at_risk;
            steps.push((t, survival));
        }
        at_risk -= leaving;
    }
    let survival_at = |d: f64| {
        steps
            .iter()
            .take_while(|(t, _)| *t <= d)
            .last()
            .map_or(1.0, |(_, s)| *s)
    };
    let curve = CURVE_DAYS
        .iter()
        .map(|&days| CurvePoint {
            days,
            returned_share: 1.0 - survival_at(days as f64),
            at_risk: obs.iter().filter(|(t, _)| *t >= days as f64).count() as i64,
        })
        .collect();
    ReturnCurve {
        trips: total,
        returned,
        return_rate: (total > 0).then(|| returned as f64 / total as f64),
        median_days: steps.iter().find(|(_, s)| *s <= 0.5).map(|(t, _)| *t),
        curve,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kaplan_meier_by_hand() {
        // Returned after 2, 4 and 4 days; out for 3 and 10 days without a return.
        // At 2: 5 at risk, 1 back: S = 4/5. At 3: one censored. At 4: 3 at risk, 2 back:
        // S = 4/5 * 1/3 = 4/15. The median is 4 days.
        let c = return_curve(&[
            (2.0, true),
            (3.0, false),
            (4.0, true),
            (4.0, true),
            (10.0, false),
        ]);
        assert_eq!((c.trips, c.returned, c.return_rate), (5, 3, Some(0.6)));
        assert_eq!(c.median_days, Some(4.0));
        let at = |d: i64| {
            c.curve
                .iter()
                .find(|p| p.days == d)
                .map(|p| (p.returned_share, p.at_risk))
                .expect("point")
        };
        assert_eq!(at(1), (0.0, 5));
        assert!((at(2).0 - 0.2).abs() < 1e-12);
        assert!((at(3).0 - 0.2).abs() < 1e-12 && at(3).1 == 4);
        assert!((at(5).0 - (1.0 - 4.0 / 15.0)).abs() < 1e-12);
        assert_eq!(at(14).1, 0);
    }

    #[test]
    fn no_trip_gives_an_empty_curve() {
        let c = return_curve(&[]);
        assert_eq!((c.trips, c.return_rate, c.median_days), (0, None, None));
        assert!(c.curve.iter().all(|p| p.returned_share == 0.0));
    }
}
