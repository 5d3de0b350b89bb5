use super::*;
use crate::domain::state::{SiteKind, WASH_FINISHED, WASH_STARTED};
use chrono::{Duration, NaiveDate};

fn t(day: u32, hour: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 3, day)
        .and_then(|d| d.and_hms_opt(hour, 0, 0))
        .expect("date")
}

fn ev(action: Action, site: &str, kind: SiteKind, at: NaiveDateTime) -> Ev {
    Ev::new(action, site, kind, at)
}

fn key(day: u32, site: &str) -> Key {
    Key {
        day: NaiveDate::from_ymd_opt(2026, 3, day).expect("day"),
        site_id: site.into(),
        type_id: "jar".into(),
    }
}

fn life() -> Vec<Ev> {
    let ship = |from: &str, kind, to: &str, id: &str, at| Ev {
        to_site_id: Some(to.into()),
        shipment_id: Some(id.into()),
        ..ev(Action::Ship, from, kind, at)
    };
    let receive = |to: &str, kind, id: &str, at| Ev {
        shipment_id: Some(id.into()),
        ..ev(Action::Receive, to, kind, at)
    };
    let wash = |phase: &str, at| Ev {
        batch_id: Some("b".into()),
        reason: Some(phase.into()),
        ..ev(Action::Wash, "W", SiteKind::Washer, at)
    };
    vec![
        ev(Action::Commission, "P", SiteKind::Producer, t(1, 6)),
        ev(Action::Fill, "P", SiteKind::Producer, t(1, 8)),
        ship("P", SiteKind::Producer, "S", "a", t(1, 9)),
        receive("S", SiteKind::Shop, "a", t(1, 10)),
        ev(Action::Sell, "S", SiteKind::Shop, t(2, 10)),
        // Returned at another shop, then collected and washed.
        ev(Action::Return, "S2", SiteKind::Shop, t(5, 10)),
        ship("S2", SiteKind::Shop, "W", "b", t(6, 10)),
        receive("W", SiteKind::Washer, "b", t(6, 12)),
        wash(WASH_STARTED, t(7, 8)),
        wash(WASH_FINISHED, t(7, 9)),
        ship("W", SiteKind::Washer, "P", "c", t(8, 8)),
        // Filled without a scanned receipt: the receipt is inferred.
        ev(Action::Fill, "P", SiteKind::Producer, t(9, 8)),
        // Sent to the shop and shipped back to the washer without a scanned return.
        ship("P", SiteKind::Producer, "S", "d", t(9, 9)),
        ev(Action::Sell, "S", SiteKind::Shop, t(10, 9)),
        ship("S", SiteKind::Shop, "W", "e", t(12, 9)),
        ev(Action::Break, "W", SiteKind::Washer, t(13, 6)),
    ]
}

#[test]
fn a_life_contributes_each_figure_where_and_when_it_happened() {
    let (c, memory) = contributions("jar", &life());
    let get = |day, site| c.get(&key(day, site)).copied().unwrap_or_default();
    assert_eq!(
        get(1, "P"),
        Counters {
            commissioned: 1,
            commissioned_us: 6 * 3_600_000_000,
            fills: 1,
            first_fills: 1,
            ..Counters::default()
        }
    );
    // Two trips at shop S: the first returned (at S2), the second by the inferred return.
    assert_eq!(
        get(1, "S"),
        Counters {
            trips: 1,
            trips_returned: 1,
            ..Counters::default()
        }
    );
    assert_eq!(
        get(5, "S2"),
        Counters {
            returns: 1,
            ..Counters::default()
        }
    );
    assert_eq!(
        get(7, "W"),
        Counters {
            washes: 1,
            ..Counters::default()
        }
    );
    let cycle_ms = (t(9, 8) - t(1, 8)).num_milliseconds();
    assert_eq!(
        get(9, "P"),
        Counters {
            fills: 1,
            cycles: 1,
            cycle_ms,
            ..Counters::default()
        }
    );
    // The sale at S infers the receipt (a trip); the shipment infers the return.
    assert_eq!(
        get(10, "S"),
        Counters {
            trips: 1,
            trips_returned: 1,
            ..Counters::default()
        }
    );
    assert_eq!(
        get(12, "S"),
        Counters {
            returns: 1,
            ..Counters::default()
        }
    );
    assert_eq!(
        get(13, "W"),
        Counters {
            retired: 1,
            broken: 1,
            retired_us: 6 * 3_600_000_000,
            ..Counters::default()
        }
    );
    assert_eq!(c.len(), 8, "{c:?}");
    assert_eq!(
        memory,
        Memory {
            last_fill_at: Some(t(9, 8)),
            open_trips: vec![]
        }
    );
}

#[test]
fn appending_steps_counts_the_same_as_recomputing() {
    let life = life();
    for cut in 1..life.len() {
        let (mut counted, mut memory) = contributions("jar", &life[..cut]);
        let (_, steps) = crate::domain::timeline::timeline(&life[..cut]).expect("timeline");
        let mut state = None;
        let mut ignore = Memory::default();
        state = add_steps(
            "jar",
            state.as_ref(),
            steps.iter().map(|s| &s.ev),
            &mut ignore,
            &mut Contributions::new(),
        )
        .or(state);
        let planned = crate::domain::timeline::plan(state.as_ref().expect("state"), &life[cut])
            .expect("valid");
        add_steps("jar", state.as_ref(), &planned, &mut memory, &mut counted);
        let (all, all_memory) = contributions("jar", &life[..=cut]);
        counted.retain(|_, c| !c.is_zero());
        assert_eq!(counted, all, "after event {cut}");
        assert_eq!(memory, all_memory);
    }
}

#[test]
fn a_late_return_moves_the_count_from_the_inferred_one() {
    let mut life = life();
    let before = contributions("jar", &life).0;
    // The till's return scan of the 11th arrives late.
    let pos = life
        .iter()
        .position(|e| e.at == t(12, 9))
        .expect("shipment e");
    life.insert(pos, ev(Action::Return, "S", SiteKind::Shop, t(11, 9)));
    let after = contributions("jar", &life).0;
    let diff = difference(&before, &after);
    let expected: Contributions = [
        (
            key(11, "S"),
            Counters {
                returns: 1,
                ..Counters::default()
            },
        ),
        (
            key(12, "S"),
            Counters {
                returns: -1,
                ..Counters::default()
            },
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(diff, expected);
}

#[test]
fn open_trips_survive_their_stored_form() {
    let m = Memory {
        last_fill_at: None,
        open_trips: vec![
            (t(1, 10) + Duration::microseconds(5), "S".into()),
            (t(2, 10), "S2".into()),
        ],
    };
    assert_eq!(
        Memory::parse_open_trips(&m.open_trips_text()),
        Some(m.open_trips.clone())
    );
    assert_eq!(Memory::parse_open_trips(""), Some(vec![]));
    assert_eq!(Memory::parse_open_trips("garbage"), None);
}

mod props {
    use super::super::*;
    use crate::domain::timeline::fold;
    use crate::domain::timeline::tests::valid_life;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
        ))]

        /// Counters kept event by event, in any arrival order (late events included), equal
        /// the contributions recomputed from the final log.
        #[test]
        fn kept_counters_equal_recomputation(choices in prop::collection::vec(any::<u8>(), 1..40), seed in any::<u64>()) {
            let life = valid_life(&choices);
            let mut arrival = life[1..].to_vec();
            let mut x = seed;
            for i in (1..arrival.len()).rev() {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                arrival.swap(i, (x >> 33) as usize % (i + 1));
            }
            let mut log = vec![life[0].clone()];
            let (mut kept, mut memory) = contributions("jar", &log);
            let mut state = fold(&log).expect("commissioned");
            let mut waiting = arrival;
            loop {
                let before = waiting.len();
                let mut still = Vec::new();
                for ev in waiting {
                    let snapshot = log.clone();
                    let change = record("jar", &state, &memory, &ev, &Reach::Loop, || Ok::<_, ()>(snapshot)).expect("no load error");
                    match change {
                        Ok(c) => {
                            for (k, v) in &c.delta {
                                kept.entry(k.clone()).or_default().add(v);
                            }
                            let mut after = c.after;
                            after.last_event_at = after.last_event_at.max(state.last_event_at);
                            state = after;
                            memory = c.memory;
                            let pos = log.partition_point(|e| e.at <= ev.at);
                            log.insert(pos, ev);
                        }
                        Err(_) => still.push(ev),
                    }
                }
                waiting = still;
                if waiting.is_empty() || waiting.len() == before {
                    break;
                }
            }
            prop_assert!(waiting.is_empty());
            kept.retain(|_, c| !c.is_zero());
            prop_assert_eq!(kept, contributions("jar", &log).0);
            prop_assert_eq!(memory, contributions("jar", &log).1);
        }
    }
}
