use serde_json::{json, Value};

use crate::helpers::{small_loop, spawn_app, Backend};
use crate::on_both_backends;
use crate::scans::{statuses, T0};

on_both_backends!(an_offline_queue_in_any_order_ends_the_same_and_replays_change_nothing);

/// The scans of 10 jars: filled, brought back unsold, and every third one broken.
fn queue(codes: &[String], site: &str) -> Vec<Value> {
    let mut scans = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        let at = |hour: usize| format!("2026-01-06T{hour:02}:{i:02}:00Z");
        scans.push(json!({"id": uuid::Uuid::new_v4().to_string(), "code": code, "action": "fill", "site_id": site, "at": at(9)}));
        scans.push(json!({"id": uuid::Uuid::new_v4().to_string(), "code": code, "action": "return", "site_id": site, "at": at(10)}));
        if i % 3 == 0 {
            scans.push(json!({"id": uuid::Uuid::new_v4().to_string(), "code": code, "action": "break", "site_id": site, "at": at(11)}));
        }
    }
    scans
}

fn shuffled(mut items: Vec<Value>, seed: u64) -> Vec<Value> {
    let mut x = seed;
    for i in (1..items.len()).rev() {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        items.swap(i, (x >> 33) as usize % (i + 1));
    }
    items
}

async fn states(
    app: &crate::helpers::TestApp,
    codes: &[String],
) -> Vec<(String, String, i64, Value)> {
    let mut out = Vec::new();
    for code in codes {
        let c = app.container(code).await;
        out.push((
            c["state"].as_str().unwrap_or("").to_owned(),
            c["condition"].as_str().unwrap_or("").to_owned(),
            c["uses"].as_i64().unwrap_or(-1),
            c["retired_reason"].clone(),
        ));
    }
    out
}

async fn an_offline_queue_in_any_order_ends_the_same_and_replays_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    let in_order = app.commission(&l.jar, &l.producer, 10, T0).await;
    let r = app
        .post(
            "/api/v1/scans",
            json!({"scans": queue(&in_order, &l.producer)}),
        )
        .await;
    assert!(
        statuses(&r.body["results"])
            .iter()
            .all(|s| *s == "recorded"),
        "{:?}",
        r.body
    );
    let expected = states(&app, &in_order).await;
    assert_eq!(
        expected[0],
        ("retired".to_owned(), "dirty".to_owned(), 1, json!("broken"))
    );
    assert_eq!(
        expected[1],
        ("at_site".to_owned(), "dirty".to_owned(), 1, Value::Null)
    );

    // The same life for 10 other jars, sent in a shuffled order; what is refused is sent
    // again, as a device's queue does, until nothing changes.
    let shuffled_jars = app.commission(&l.jar, &l.producer, 10, T0).await;
    let mut waiting = shuffled(queue(&shuffled_jars, &l.producer), 7);
    let sent = waiting.clone();
    loop {
        let r = app.post("/api/v1/scans", json!({"scans": waiting})).await;
        let before = waiting.len();
        waiting = waiting
            .into_iter()
            .zip(statuses(&r.body["results"]))
            .filter(|(_, s)| *s == "rejected")
            .map(|(scan, _)| scan)
            .collect();
        if waiting.is_empty() || waiting.len() == before {
            break;
        }
    }
    assert!(waiting.is_empty(), "never accepted: {waiting:?}");
    assert_eq!(states(&app, &shuffled_jars).await, expected);

    // Replaying the whole queue, in yet another order, changes nothing.
    let events = app.count_events();
    let r = app
        .post("/api/v1/scans", json!({"scans": shuffled(sent, 11)}))
        .await;
    assert!(
        statuses(&r.body["results"])
            .iter()
            .all(|s| *s == "duplicate"),
        "{:?}",
        r.body
    );
    assert_eq!(app.count_events(), events);
    assert_eq!(states(&app, &shuffled_jars).await, expected);
}

/// The server copies SQLite's log into the database file on its own thread, a tenth of a
/// second at a time, rather than leaving it to the 1,000th page of log: a handful of scans
/// is in the file itself (read here from a copy of the file alone) within a second or two.
#[actix_web::test]
async fn recorded_scans_reach_the_sqlite_file_itself_without_waiting_for_a_full_log() {
    use diesel::prelude::*;
    let app = spawn_app(Backend::Sqlite).await;
    let l = small_loop(&app).await;
    let codes = app.commission(&l.jar, &l.producer, 10, T0).await;
    let r = app
        .post(
            "/api/v1/scans",
            json!({"scans": queue(&codes, &l.producer)}),
        )
        .await;
    assert_eq!(
        statuses(&r.body["results"]),
        vec!["recorded"; 24],
        "{:?}",
        r.body
    );
    // 10 commissioned, then 10 fills, 10 returns and 4 breaks.
    let expected = 10 + 24;
    let file = std::path::PathBuf::from(&app.config.database_url);
    let copy = file.with_file_name("copy-of-the-file-alone.db");
    let mut seen = None;
    for _ in 0..50 {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
        let _ = std::fs::remove_file(&copy);
        let _ = std::fs::remove_file(copy.with_extension("db-wal"));
        std::fs::copy(&file, &copy).expect("copy the database file");
        let counted = diesel::SqliteConnection::establish(&copy.display().to_string())
            .ok()
            .and_then(|mut c| {
                boucle::db::schema::events::table
                    .count()
                    .get_result::<i64>(&mut c)
                    .ok()
            });
        seen = counted;
        if counted == Some(expected) {
            break;
        }
    }
    assert_eq!(seen, Some(expected), "events in the database file itself");
}
