//! `boucle simulate` plays valid loops: nothing refused, figures equal to the log.

use boucle::cli::{simulate, SimArgs};
use boucle::db::Db;
use diesel::prelude::*;

use crate::helpers::{fresh_database, test_config, Backend, FreshDb};
use crate::on_both_backends;

fn events(db: &Db) -> i64 {
    let mut conn = db.read_conn().expect("conn");
    boucle::db::schema::events::table
        .count()
        .get_result(&mut *conn)
        .expect("count")
}

fn play(backend: Backend, scenario: &str, days: u32, seed: u64) -> (Db, String, FreshDb) {
    let fresh = fresh_database(backend);
    let url = fresh.url.clone();
    let config = test_config(&url);
    let db = Db::connect(&url, 2).expect("connect");
    db.migrate().expect("migrate");
    let args = SimArgs {
        scenario: scenario.into(),
        days,
        scale: 0.3,
        seed,
    };
    let said = simulate(&db, &config, &args).expect("a simulation with no refused scan");
    (db, said, fresh)
}

on_both_backends!(both_scenarios_play_valid_loops);

async fn both_scenarios_play_valid_loops(backend: Backend) {
    for scenario in ["zerowest", "big-bags"] {
        let (db, said, _fresh) = play(backend, scenario, 21, 7);
        assert!(
            said.starts_with(&format!("simulated 21 days of {scenario}")),
            "{said}"
        );
        let n = events(&db);
        assert!(n > 1_000, "{scenario}: only {n} events");
        let mut conn = db.write_conn().expect("conn");
        let fresh = boucle::db::check::recompute(&mut conn, |_| {}).expect("recompute");
        assert_eq!(fresh.events as i64, n);
        assert_eq!(
            boucle::db::check::differences(&mut conn, &fresh).expect("compare"),
            Vec::<String>::new(),
            "{scenario}"
        );
        holdings_are_checked_and_rebuilt(&mut conn, &fresh);
        let to = chrono::Utc::now().date_naive();
        let from = to - chrono::Days::new(21);
        let report = boucle::db::reports::loop_report(&mut conn, from, to, &Default::default())
            .expect("report");
        let f = &report.figures;
        assert!(
            f.uses > 0 && f.shipments > 0 && f.returns > 0 && f.vehicle_km > 0.0,
            "{scenario}: {f:?}"
        );
        assert!(
            f.fleet_avg > 0.0 && f.rotations_per_year.is_some(),
            "{scenario}: {f:?}"
        );
    }
}

#[test]
fn the_same_seed_plays_the_same_loop() {
    let (a, _, _fa) = play(Backend::Sqlite, "zerowest", 10, 3);
    let (b, _, _fb) = play(Backend::Sqlite, "zerowest", 10, 3);
    let (c, _, _fc) = play(Backend::Sqlite, "zerowest", 10, 4);
    assert_eq!(events(&a), events(&b));
    assert_ne!(events(&a), events(&c));
}

/// A count of the holdings gone wrong is found, named, and rebuilt from the containers.
fn holdings_are_checked_and_rebuilt(
    conn: &mut boucle::db::DbConnection,
    fresh: &boucle::db::check::Recomputed,
) {
    use boucle::db::schema::holdings as h;
    // On PostgreSQL what the simulation added may still be pending as deltas: fold it into
    // the table this test spoils (a no-op on SQLite).
    boucle::db::deltas::fold(conn).expect("folded");
    let (site, type_id, state, condition, n): (String, String, String, String, i64) = h::table
        .filter(h::n.gt(0))
        .order((h::site_id, h::type_id, h::state, h::condition))
        .first(conn)
        .expect("a holding");
    let key = h::site_id
        .eq(&site)
        .and(h::type_id.eq(&type_id))
        .and(h::state.eq(&state))
        .and(h::condition.eq(&condition));
    diesel::update(h::table.filter(key))
        .set(h::n.eq(n + 5))
        .execute(conn)
        .expect("spoil");
    assert_eq!(
        boucle::db::check::differences(conn, fresh).expect("compare"),
        vec![format!(
            "site {site} type {type_id} {state} {condition}: {n} containers, {} in the holdings",
            n + 5
        )]
    );
    boucle::db::check::repair(conn, fresh).expect("repair");
    assert_eq!(
        boucle::db::check::differences(conn, fresh).expect("compare"),
        Vec::<String>::new()
    );
}
