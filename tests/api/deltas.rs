//! PostgreSQL's counters appended as deltas and folded by the server (migration 14): scans
//! from two instances at once wait on no shared row, and every figure is exact before the
//! fold, after it, and in the counters themselves.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{small_loop, spawn_app, Backend, TestApp};
use crate::reports::report;
use crate::scans::T0;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

/// The producer's stock of the jar type: (clean, filled).
async fn producer_stock(app: &TestApp, producer: &str) -> (i64, i64) {
    let r = app.get(&format!("/api/v1/stock?site_id={producer}")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let row = &r.body[0];
    (
        row["clean"].as_i64().unwrap_or(-1),
        row["filled"].as_i64().unwrap_or(-1),
    )
}

#[tokio::test]
#[cfg_attr(
    not(boucle_postgres),
    ignore = "PostgreSQL runs skipped: set BOUCLE_TEST_POSTGRES_URL to run them"
)]
async fn concurrent_fills_from_two_instances_count_exactly_before_and_after_the_fold() {
    let app = spawn_app(Backend::Postgres).await;
    let mut fold_holder =
        PgConnection::establish(&app.config.database_url).expect("a connection of the test's");
    // While the test holds the fold's lock, no instance folds: what the scans add stays in
    // the deltas, and the figures must count it from there.
    fold_holder
        .batch_execute(&format!(
            "SELECT pg_advisory_lock({})",
            boucle::db::deltas::FOLD_LOCK
        ))
        .expect("lock taken");
    let l = small_loop(&app).await;
    let jars = app.commission(&l.jar, &l.producer, 40, T0).await;
    let second = app.another_instance(&[]);

    // 40 fills, 20 through each instance, 8 at a time.
    let mut sent = Vec::new();
    for (i, code) in jars.iter().enumerate() {
        let body = json!({"scans": [{"code": code, "action": "fill", "site_id": l.producer, "at": "2026-01-05T10:00:00Z"}]});
        let url = if i % 2 == 0 {
            format!("{}/api/v1/scans", app.address)
        } else {
            format!("{second}/api/v1/scans")
        };
        let req = app.client.post(url).bearer_auth(&app.token).json(&body);
        sent.push(tokio::spawn(async move {
            let resp = req.send().await.expect("sent");
            (resp.status(), resp.text().await.expect("body"))
        }));
        if sent.len() == 8 {
            for s in sent.drain(..) {
                let (status, body) = s.await.expect("joined");
                assert_eq!(status, StatusCode::OK, "{body}");
                assert!(body.contains("\"status\":\"recorded\""), "{body}");
            }
        }
    }

    let mut conn = PgConnection::establish(&app.config.database_url).expect("connection");
    let pending_figures = count(&mut conn, "SELECT count(*) AS n FROM daily_figure_deltas");
    let pending_holdings = count(&mut conn, "SELECT count(*) AS n FROM holding_deltas");
    // One figures row a request (the commissioning, 40 fills); a holdings row for each jar
    // commissioned, two for each jar filled (out of clean, into filled).
    assert_eq!((pending_figures, pending_holdings), (41, 40 + 80));
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM holdings"), 0);
    assert_eq!(producer_stock(&app, &l.producer).await, (0, 40));
    let jan = report(&app, "from=2026-01-01&to=2026-02-01").await;
    assert_eq!(jan["uses"].as_f64(), Some(40.0), "{jan}");

    fold_holder
        .batch_execute(&format!(
            "SELECT pg_advisory_unlock({})",
            boucle::db::deltas::FOLD_LOCK
        ))
        .expect("lock released");
    let mut waited = 0;
    while count(&mut conn, "SELECT count(*) AS n FROM holding_deltas")
        + count(&mut conn, "SELECT count(*) AS n FROM daily_figure_deltas")
        > 0
    {
        assert!(waited < 100, "the deltas were not folded within 10 s");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 1;
    }
    // Folded: the counters themselves hold the figures, once each.
    assert_eq!(
        count(&mut conn, &format!("SELECT n FROM holdings WHERE site_id = '{}' AND state = 'at_site' AND condition = 'filled'", l.producer)),
        40
    );
    assert_eq!(
        count(&mut conn, &format!("SELECT n FROM holdings WHERE site_id = '{}' AND state = 'at_site' AND condition = 'clean'", l.producer)),
        0
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT CAST(sum(fills) AS BIGINT) AS n FROM daily_figures"
        ),
        40
    );
    assert_eq!(producer_stock(&app, &l.producer).await, (0, 40));
    let again = report(&app, "from=2026-01-01&to=2026-02-01").await;
    assert_eq!(again, jan);
    let mut c = app.conn();
    assert!(boucle::db::holdings::differences(&mut c)
        .expect("compared")
        .is_empty());
}

#[tokio::test]
#[cfg_attr(
    not(boucle_postgres),
    ignore = "PostgreSQL runs skipped: set BOUCLE_TEST_POSTGRES_URL to run them"
)]
async fn a_vacuum_keeps_the_emptied_pages_of_the_deltas() {
    // A vacuum that hands emptied pages back takes the table's exclusive lock, which every
    // scan's append would wait for (migration 15): the pages stay, for the next appends.
    let app = spawn_app(Backend::Postgres).await;
    let mut c = PgConnection::establish(&app.config.database_url).expect("a connection");
    // No fold while the test's rows are there.
    c.batch_execute(&format!(
        "SELECT pg_advisory_lock({})",
        boucle::db::deltas::FOLD_LOCK
    ))
    .expect("lock taken");
    let zeros = ["0"; 14].join(", ");
    let fills = [
        (
            "holding_deltas",
            "SELECT 'nowhere', 'none', 'at_site', 'dirty', 1".to_owned(),
        ),
        (
            "daily_figure_deltas",
            format!("SELECT '2026-01-01', 'nowhere', 'none', {zeros}"),
        ),
    ];
    for (table, row) in fills {
        c.batch_execute(&format!(
            "INSERT INTO {table} {row} FROM generate_series(1, 2000); \
             DELETE FROM {table} WHERE site_id = 'nowhere'"
        ))
        .expect("rows added and deleted");
        c.batch_execute(&format!("VACUUM {table}"))
            .expect("vacuumed");
        // 2,000 rows of 60 to 150 bytes fill at least 15 pages of 8 KiB; a vacuum allowed to
        // truncate would leave none, no other writer being there to stop it.
        let pages = count(
            &mut c,
            &format!("SELECT pg_relation_size('{table}') / 8192 AS n"),
        );
        assert!(pages >= 15, "{table} kept {pages} pages");
        assert_eq!(
            count(&mut c, &format!("SELECT COUNT(*) AS n FROM {table}")),
            0
        );
    }
}
