use super::*;
use crate::domain::state::{
    Condition, RetiredReason, SiteKind, REJECT_REWASH, WASH_FINISHED, WASH_STARTED,
};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use proptest::prelude::*;

const P: &str = "producer";
const S1: &str = "shop-1";
const S2: &str = "shop-2";
const W: &str = "washer";

fn kind(site: &str) -> SiteKind {
    match site {
        P => SiteKind::Producer,
        W => SiteKind::Washer,
        _ => SiteKind::Shop,
    }
}

fn t(minutes: i64) -> NaiveDateTime {
    let start = NaiveDate::from_ymd_opt(2026, 3, 2).and_then(|d| d.and_hms_opt(8, 0, 0));
    start.expect("valid date") + Duration::minutes(minutes)
}

fn ev(action: Action, site: &str, at: i64) -> Ev {
    Ev::new(action, site, kind(site), t(at))
}

fn ship(from: &str, to: &str, id: &str, at: i64) -> Ev {
    Ev {
        to_site_id: Some(to.into()),
        shipment_id: Some(id.into()),
        ..ev(Action::Ship, from, at)
    }
}

fn receive(to: &str, id: &str, at: i64) -> Ev {
    Ev {
        shipment_id: Some(id.into()),
        ..ev(Action::Receive, to, at)
    }
}

fn wash(phase: &str, batch: &str, at: i64) -> Ev {
    Ev {
        batch_id: Some(batch.into()),
        reason: Some(phase.into()),
        ..ev(Action::Wash, W, at)
    }
}

/// Records `events` in the given order, as the service does, answering each.
fn record_all(events: &[Ev]) -> (Vec<Ev>, Vec<Result<(), Refusal>>) {
    let mut log: Vec<Ev> = Vec::new();
    let answers = events.iter().map(|e| record(&mut log, e)).collect();
    (log, answers)
}

fn record(log: &mut Vec<Ev>, e: &Ev) -> Result<(), Refusal> {
    if !log.is_empty() {
        insert(log, e, &Reach::Loop)?;
    }
    let pos = log.partition_point(|x| x.at <= e.at);
    log.insert(pos, e.clone());
    Ok(())
}

fn final_state(events: &[Ev]) -> ContainerState {
    let (log, answers) = record_all(events);
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    fold(&log).expect("commissioned")
}

#[test]
fn a_full_cycle_ends_clean_at_the_producer_with_one_use() {
    let s = final_state(&[
        ev(Action::Commission, P, 0),
        ev(Action::Fill, P, 10),
        ship(P, S1, "sh1", 20),
        receive(S1, "sh1", 30),
        ev(Action::Sell, S1, 40),
        ev(Action::Return, S2, 50),
        ship(S2, W, "sh2", 60),
        receive(W, "sh2", 70),
        wash(WASH_STARTED, "b1", 80),
        wash(WASH_FINISHED, "b1", 90),
        ship(W, P, "sh3", 100),
        receive(P, "sh3", 110),
    ]);
    assert_eq!(
        (s.state, s.condition, s.site_id.as_str(), s.uses),
        (Place::AtSite, Condition::Clean, P, 1)
    );
}

#[test]
fn fill_at_a_shop_is_refused_naming_the_site_kind() {
    let (_, answers) = record_all(&[ev(Action::Commission, P, 0), ev(Action::Fill, S1, 5)]);
    let refusal = answers[1].clone().expect_err("refused");
    assert_eq!(refusal.code(), "wrong_site_kind");
    let text = refusal.message("BC-0000-0000", Action::Fill, &|id| id.to_uppercase());
    assert_eq!(
        text,
        "fill is scanned at a producer or company, not at a shop site"
    );
}

#[test]
fn a_scan_at_the_wrong_site_names_where_the_container_is() {
    let (_, answers) = record_all(&[
        ev(Action::Commission, P, 0),
        ev(Action::Fill, P, 1),
        ship(P, S1, "sh", 2),
        receive(S1, "sh", 3),
        ev(Action::Sell, S2, 4),
    ]);
    let refusal = answers[4].clone().expect_err("refused");
    let text = refusal.message("ZW-7K3M-QD9A", Action::Sell, &|id| format!("Biocoop {id}"));
    assert_eq!(
        text,
        "container ZW-7K3M-QD9A is at Biocoop shop-1, not at this site"
    );
}

#[test]
fn shipping_from_a_shop_infers_the_missing_return() {
    let mut log = Vec::new();
    for e in [
        ev(Action::Commission, P, 0),
        ev(Action::Fill, P, 1),
        ship(P, S1, "a", 2),
    ] {
        record(&mut log, &e).expect("valid");
    }
    record(&mut log, &receive(S1, "a", 3)).expect("valid");
    record(&mut log, &ev(Action::Sell, S1, 4)).expect("valid");
    let planned =
        insert(&log, &ship(S1, W, "b", 9), &Reach::Loop).expect("accepted with inference");
    assert_eq!(planned.len(), 2);
    assert_eq!(
        (
            planned[0].action,
            planned[0].inferred,
            planned[0].site_id.as_str()
        ),
        (Action::Return, true, S1)
    );
    assert!(!planned[1].inferred);
}

#[test]
fn scanning_at_the_destination_infers_the_receipt() {
    let base = [ev(Action::Commission, W, 0), ship(W, P, "a", 2)];
    let (log, _) = record_all(&base);
    let planned = insert(&log, &ev(Action::Fill, P, 5), &Reach::Loop).expect("inferred receipt");
    assert_eq!(
        planned
            .iter()
            .map(|e| (e.action, e.inferred))
            .collect::<Vec<_>>(),
        vec![(Action::Receive, true), (Action::Fill, false)]
    );
    assert_eq!(planned[0].shipment_id.as_deref(), Some("a"));
}

#[test]
fn a_retired_container_is_never_brought_back() {
    let (log, _) = record_all(&[ev(Action::Commission, P, 0), ev(Action::Break, P, 1)]);
    let refusal = insert(&log, &ev(Action::Fill, P, 2), &Reach::Loop).expect_err("refused");
    assert_eq!(
        refusal,
        Refusal::Retired {
            reason: Some(RetiredReason::Broken)
        }
    );
    // Nor by a late event placed after its retirement in time.
    let refusal = insert(&log, &ev(Action::Lose, P, 3), &Reach::Loop).expect_err("refused");
    assert_eq!(refusal.code(), "container_retired");
}

#[test]
fn a_late_retirement_that_would_hide_later_uses_is_refused() {
    let (log, _) = record_all(&[ev(Action::Commission, P, 0), ev(Action::Fill, P, 10)]);
    let refusal = insert(&log, &ev(Action::Break, P, 5), &Reach::Loop).expect_err("refused");
    assert_eq!(
        refusal,
        Refusal::ConflictsWithLater {
            action: Action::Fill,
            at: t(10)
        }
    );
}

#[test]
fn a_late_return_takes_the_place_of_the_inferred_one() {
    let events = [
        ev(Action::Commission, P, 0),
        ev(Action::Fill, P, 1),
        ship(P, S1, "a", 2),
        receive(S1, "a", 3),
        ev(Action::Sell, S1, 4),
        ship(S1, W, "b", 20),
    ];
    let (mut log, answers) = record_all(&events);
    assert!(answers.iter().all(Result::is_ok));
    // The return scanned offline at minute 10 arrives after the shipment.
    let (_, steps) = timeline(&log).expect("timeline");
    let returns: Vec<_> = steps
        .iter()
        .filter(|s| s.ev.action == Action::Return)
        .map(|s| (s.ev.at, s.ev.inferred))
        .collect();
    assert_eq!(returns, vec![(t(20), true)]);
    // The return scanned offline at minute 10 arrives after the shipment.
    record(&mut log, &ev(Action::Return, S1, 10)).expect("late return fits");
    let (_, steps) = timeline(&log).expect("timeline");
    let returns: Vec<_> = steps
        .iter()
        .filter(|s| s.ev.action == Action::Return)
        .map(|s| (s.ev.at, s.ev.inferred))
        .collect();
    assert_eq!(returns, vec![(t(10), false)]);
    let s = fold(&log).expect("state");
    assert_eq!(
        (s.state, s.condition, s.dest_site_id.as_deref()),
        (Place::InTransit, Condition::Dirty, Some(W))
    );
}

#[test]
fn rejects_retire_broken_or_go_back_to_dirty() {
    let base = |reason: &str| {
        let mut reject = ev(Action::Reject, W, 30);
        reject.batch_id = Some("b".into());
        reject.reason = Some(reason.into());
        let mut dirty = ev(Action::Return, W, 5);
        dirty.site_kind = SiteKind::Washer;
        vec![
            ev(Action::Commission, P, 0),
            ev(Action::Fill, P, 1),
            ship(P, W, "s", 2),
            receive(W, "s", 3),
            dirty,
            wash(WASH_STARTED, "b", 10),
            reject,
        ]
    };
    let broken = final_state(&base("broken"));
    assert_eq!(
        (broken.state, broken.retired_reason),
        (Place::Retired, Some(RetiredReason::Broken))
    );
    let rewash = final_state(&base(REJECT_REWASH));
    assert_eq!(
        (rewash.state, rewash.condition, rewash.site_id.as_str()),
        (Place::AtSite, Condition::Dirty, W)
    );
}

/// A random but valid life of one container, in time order, as the devices scan it.
pub(crate) fn valid_life(choices: &[u8]) -> Vec<Ev> {
    let mut minute = 0;
    let mut next = |step: u8| {
        minute += 1 + i64::from(step % 50);
        minute
    };
    let mut events = vec![ev(Action::Commission, P, 0)];
    let mut state = fold(&events).expect("commissioned");
    let mut ids = 0;
    for &c in choices {
        let at = next(c);
        ids += 1;
        let id = format!("x{ids}");
        let shop = if c % 2 == 0 { S1 } else { S2 };
        let candidate = match (state.state, state.condition, state.site_id.as_str()) {
            (Place::Retired, ..) => break,
            _ if c % 97 == 0 => ev(
                if c % 2 == 0 {
                    Action::Break
                } else {
                    Action::Lose
                },
                &state.site_id.clone(),
                at,
            ),
            (Place::AtSite, Condition::Clean, P) => ev(Action::Fill, P, at),
            (Place::AtSite, Condition::Filled, P) => ship(P, shop, &id, at),
            (Place::InTransit, ..) => match (c % 3, state.dest_site_id.clone()) {
                (0, Some(d)) if d != W && d != P => ev(Action::Sell, &d, at),
                (_, Some(d)) => receive(&d, &state.shipment_id.clone().unwrap_or_default(), at),
                (_, None) => break,
            },
            (Place::AtSite, Condition::Filled, s) => match c % 3 {
                0 => ev(Action::Return, s, at),
                _ => ev(Action::Sell, s, at),
            },
            (Place::WithConsumer, ..) => match c % 4 {
                0 => ship(&state.site_id.clone(), W, &id, at),
                _ => ev(Action::Return, shop, at),
            },
            (Place::AtSite, Condition::Dirty, W) => wash(WASH_STARTED, &id, at),
            (Place::AtSite, Condition::Dirty, s) => ship(s, W, &id, at),
            (Place::Washing, ..) => {
                let batch = state.batch_id.clone().unwrap_or_default();
                match c % 10 {
                    0 => Ev {
                        reason: Some(REJECT_REWASH.into()),
                        batch_id: Some(batch),
                        ..ev(Action::Reject, W, at)
                    },
                    _ => wash(WASH_FINISHED, &batch, at),
                }
            }
            (Place::AtSite, Condition::Clean, s) => ship(s, P, &id, at),
        };
        let planned = plan(&state, &candidate).expect("the walk only takes allowed steps");
        for e in &planned {
            state = apply(&state, e);
        }
        events.push(candidate);
    }
    events
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512)
    ))]

    /// Any arrival order of the same valid scans, with refused ones sent again until nothing
    /// changes (as a device's queue does), records them all and ends in the same state.
    #[test]
    fn arrival_order_does_not_change_the_final_state(
        choices in prop::collection::vec(any::<u8>(), 1..40),
        order in any::<u64>(),
    ) {
        let life = valid_life(&choices);
        let expected = final_state(&life);
        let mut arrival: Vec<Ev> = life[1..].to_vec();
        let mut seed = order;
        for i in (1..arrival.len()).rev() {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            arrival.swap(i, (seed >> 33) as usize % (i + 1));
        }
        let mut log = vec![life[0].clone()];
        let mut waiting = arrival;
        loop {
            let before = waiting.len();
            waiting.retain(|e| record(&mut log, e).is_err());
            if waiting.is_empty() || waiting.len() == before {
                break;
            }
        }
        prop_assert!(waiting.is_empty(), "never accepted: {:?}", waiting);
        prop_assert_eq!(fold(&log).expect("state"), expected);
    }
}
