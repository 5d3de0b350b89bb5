//! Micro-benchmarks of the hot pure code: the fold of a container's events, what they add
//! to the figures, code parsing, distances and a report's arithmetic.
//! Run: `cargo bench --bench domain`.

use std::hint::black_box;

use boucle::domain::code::{parse_any, ShortCode};
use boucle::domain::distance::haversine_km;
use boucle::domain::figures::contributions;
use boucle::domain::gs1::{CompanyPrefix, Grai};
use boucle::domain::report::{compute, FleetDay, Inputs, ShipmentLine};
use boucle::domain::state::{Action, Ev, SiteKind, WASH_FINISHED, WASH_STARTED};
use boucle::domain::timeline::fold;
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use criterion::{criterion_group, criterion_main, Criterion};

fn start() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 1, 1)
        .and_then(|d| d.and_hms_opt(8, 0, 0))
        .unwrap_or_default()
}

/// A jar's life: commissioned at the washer, then `rounds` rounds of the loop (to the
/// producer, filled, to the shop, sold, returned, collected, washed), 11 events each.
fn life(rounds: usize) -> Vec<Ev> {
    let mut at = start();
    let mut next = |hours: i64| {
        at += TimeDelta::hours(hours);
        at
    };
    let ev = |action, site: &str, kind, at| Ev::new(action, site, kind, at);
    let ship = |from: &str, kind, to: &str, at| {
        let mut e = Ev::new(Action::Ship, from, kind, at);
        e.to_site_id = Some(to.to_owned());
        e.shipment_id = Some(format!("s-{at}"));
        e
    };
    let mut out = vec![ev(Action::Commission, "washer", SiteKind::Washer, next(0))];
    for round in 0..rounds {
        out.push(ship("washer", SiteKind::Washer, "producer", next(2)));
        out.push(ev(Action::Receive, "producer", SiteKind::Producer, next(2)));
        out.push(ev(Action::Fill, "producer", SiteKind::Producer, next(20)));
        out.push(ship("producer", SiteKind::Producer, "shop", next(2)));
        out.push(ev(Action::Receive, "shop", SiteKind::Shop, next(2)));
        out.push(ev(Action::Sell, "shop", SiteKind::Shop, next(48)));
        out.push(ev(Action::Return, "shop", SiteKind::Shop, next(240)));
        out.push(ship("shop", SiteKind::Shop, "washer", next(24)));
        out.push(ev(Action::Receive, "washer", SiteKind::Washer, next(2)));
        for reason in [WASH_STARTED, WASH_FINISHED] {
            let mut e = ev(Action::Wash, "washer", SiteKind::Washer, next(1));
            e.batch_id = Some(format!("b-{round}"));
            e.reason = Some(reason.to_owned());
            out.push(e);
        }
    }
    out
}

fn events(c: &mut Criterion) {
    let short = life(5);
    let long = life(50);
    // The lives are valid: each event fits where it comes.
    assert_eq!(fold(&long).map(|s| s.uses), Some(50));
    c.bench_function("fold, 56 events", |b| b.iter(|| fold(black_box(&short))));
    c.bench_function("fold, 551 events", |b| b.iter(|| fold(black_box(&long))));
    c.bench_function("contributions, 56 events", |b| {
        b.iter(|| contributions("jar", black_box(&short)))
    });
}

fn codes(c: &mut Criterion) {
    let short = ShortCode::from_serial(123_456);
    let code = short.display("ZW");
    let url = format!("https://boucle.example/c/{code}");
    let prefix = CompanyPrefix::parse("0614141").ok();
    let grai = prefix
        .as_ref()
        .and_then(|p| Grai::new(p, 1, &short).ok())
        .map(|g| g.element_string())
        .unwrap_or_default();
    // The benchmarks time successful parses.
    assert!(ShortCode::parse(&code, "ZW").is_ok());
    assert!(parse_any(&url, "ZW", None).is_ok());
    assert!(parse_any(&grai, "ZW", prefix.as_ref()).is_ok(), "{grai}");
    c.bench_function("parse a short code", |b| {
        b.iter(|| ShortCode::parse(black_box(&code), "ZW"))
    });
    c.bench_function("parse a /c/ URL", |b| {
        b.iter(|| parse_any(black_box(&url), "ZW", None))
    });
    c.bench_function("parse a GRAI element string", |b| {
        b.iter(|| parse_any(black_box(&grai), "ZW", prefix.as_ref()))
    });
}

fn distances(c: &mut Criterion) {
    c.bench_function("haversine", |b| {
        b.iter(|| {
            haversine_km(
                black_box(48.11),
                black_box(-1.68),
                black_box(48.05),
                black_box(-1.70),
            )
        })
    });
}

fn report(c: &mut Criterion) {
    let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    let to = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap_or_default();
    let fleet_days = (0..365)
        .map(|d| FleetDay {
            day: from + TimeDelta::days(d),
            commissioned: 12,
            commissioned_us: 12 * 3_600_000_000,
            retired: 1,
            retired_us: 7_200_000_000,
        })
        .collect();
    let kinds = ["washer", "producer", "shop"];
    let shipments = (0..2_000)
        .map(|i| ShipmentLine {
            from_kind: kinds[i % 3].to_owned(),
            to_kind: kinds[(i + 1) % 3].to_owned(),
            distance_km: 5.0 + (i % 40) as f64,
            containers: 80,
        })
        .collect();
    let inputs = Inputs {
        from,
        to,
        alive_at_start: 4_000,
        fleet_days,
        shipments,
        avoided_waste_g: 1.0e6,
        ..Inputs::default()
    };
    c.bench_function("a year's report from its inputs (2,000 shipments)", |b| {
        b.iter(|| compute(black_box(&inputs)))
    });
}

criterion_group!(benches, events, codes, distances, report);
criterion_main!(benches);
