//! EPCIS capture: a washer's line sends its events as an EPCIS document; each is recorded as
//! scans, once, with one result per event.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::csv_io::{get_csv, send_csv};
use crate::epcis::export;
use crate::helpers::{small_loop, spawn_app, Backend, TestApp};
use crate::on_both_backends;
use crate::reports::{receive, scan, script, ship};

on_both_backends!(
    a_washers_line_is_captured_once,
    an_export_captured_into_a_fresh_database_gives_the_same_containers
);

pub fn event(
    id: &str,
    epcs: &[&str],
    step: &str,
    disposition: &str,
    site: &str,
    at: &str,
) -> Value {
    json!({
        "type": "ObjectEvent", "eventID": id, "eventTime": at, "eventTimeZoneOffset": "+01:00",
        "epcList": epcs, "action": "OBSERVE", "bizStep": step, "disposition": disposition,
        "readPoint": {"id": format!("urn:uuid:{site}")}, "bizLocation": {"id": format!("urn:uuid:{site}")}
    })
}

pub fn document(events: Vec<Value>) -> Value {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"boucle": "https://boucle.test/ns/epcis#"}],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-21T18:00:00Z",
        "epcisBody": {"eventList": events}
    })
}

pub async fn capture(app: &TestApp, token: &str, doc: &Value) -> (StatusCode, Value) {
    let r = app
        .client
        .post(format!("{}/api/v1/epcis/capture", app.address))
        .bearer_auth(token)
        .header("Content-Type", "application/ld+json")
        .body(doc.to_string())
        .send()
        .await
        .expect("sent");
    let status = r.status();
    (status, r.json().await.expect("json"))
}

async fn a_washers_line_is_captured_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    let jars = app
        .commission(&l.jar, &l.producer, 2, "2026-11-10T08:00:00Z")
        .await;
    for j in &jars {
        scan(&app, j, "fill", &l.producer, "2026-11-11T08:00:00Z").await;
    }
    let refs: Vec<&str> = jars.iter().map(String::as_str).collect();
    let s = ship(
        &app,
        &l.producer,
        &l.shop,
        &refs,
        "2026-11-12T08:00:00Z",
        12.0,
        "van",
    )
    .await;
    receive(&app, &s, "2026-11-12T10:00:00Z").await;
    for j in &jars {
        scan(&app, j, "sell", &l.shop, "2026-11-13T10:00:00Z").await;
    }
    let before = app.count_events();
    // The jars come back, go to the washer, are washed; one breaks in the machine.
    let url = |j: &str| format!("https://boucle.test/c/{j}");
    let (a, b) = (url(&jars[0]), url(&jars[1]));
    let batch = uuid::Uuid::new_v4().to_string();
    let mut wash_start = event(
        "urn:uuid:0192f0aa-0000-7000-8000-000000000005",
        &[&a, &b],
        "boucle:washing",
        "in_progress",
        &l.washer,
        "2026-11-20T08:00:00+01:00",
    );
    wash_start["boucle:washBatch"] = json!(batch);
    let mut washed = event(
        "urn:uuid:0192f0aa-0000-7000-8000-000000000006",
        &[&a],
        "boucle:washing",
        "available",
        &l.washer,
        "2026-11-20T09:00:00+01:00",
    );
    washed["boucle:washBatch"] = json!(batch);
    let mut broke = event(
        "urn:uuid:0192f0aa-0000-7000-8000-000000000007",
        &[&b],
        "inspecting",
        "damaged",
        &l.washer,
        "2026-11-20T09:00:00+01:00",
    );
    broke["boucle:washBatch"] = json!(batch);
    let mut collected = event(
        "urn:uuid:0192f0aa-0000-7000-8000-000000000003",
        &[&a, &b],
        "shipping",
        "in_transit",
        &l.shop,
        "2026-11-18T08:00:00+01:00",
    );
    collected["destinationList"] =
        json!([{"type": "location", "destination": format!("urn:uuid:{}", l.washer)}]);
    let doc = document(vec![
        event(
            "urn:uuid:0192f0aa-0000-7000-8000-000000000001",
            &[&a],
            "collecting",
            "returned",
            &l.shop,
            "2026-11-15T10:00:00+01:00",
        ),
        event(
            "ni:///sha-256;5f3a?ver=CBV2.0",
            &[&b],
            "collecting",
            "returned",
            &l.shop,
            "2026-11-16T10:00:00+01:00",
        ),
        collected,
        event(
            "urn:uuid:0192f0aa-0000-7000-8000-000000000004",
            &[&a, &b],
            "receiving",
            "in_progress",
            &l.washer,
            "2026-11-18T09:00:00+01:00",
        ),
        wash_start,
        washed,
        broke,
        event(
            "urn:uuid:0192f0aa-0000-7000-8000-000000000008",
            &[&a],
            "dancing",
            "in_progress",
            &l.washer,
            "2026-11-20T10:00:00+01:00",
        ),
    ]);
    let (status, body) = capture(&app, &app.token, &doc).await;
    assert_eq!(status, StatusCode::OK, "{body:?}");
    let results = body["results"].as_array().expect("results");
    let statuses: Vec<&str> = results
        .iter()
        .map(|r| r["status"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        statuses,
        [
            "recorded", "recorded", "recorded", "recorded", "recorded", "recorded", "recorded",
            "rejected"
        ],
        "{body:#?}"
    );
    assert_eq!(results[7]["error"]["error"], "unknown_step");
    assert_eq!(
        results[0]["eventID"],
        "urn:uuid:0192f0aa-0000-7000-8000-000000000001"
    );
    // 2 returns, 2 ships, 2 receipts, 2 wash starts, 1 wash end, 1 reject.
    assert_eq!(app.count_events(), before + 10);
    let jar_a = app.container(&jars[0]).await;
    assert_eq!(
        (
            jar_a["state"].as_str(),
            jar_a["condition"].as_str(),
            jar_a["site_id"].as_str()
        ),
        (Some("at_site"), Some("clean"), Some(l.washer.as_str()))
    );
    let jar_b = app.container(&jars[1]).await;
    assert_eq!(jar_b["state"], "retired", "{jar_b:?}");
    let r = app.get(&format!("/api/v1/wash-batches/{batch}")).await;
    assert_eq!(
        (r.body["washed"].as_i64(), r.body["rejected"].as_i64()),
        (Some(1), Some(1)),
        "{:?}",
        r.body
    );
    // The times were given at +01:00: the return of jar a is at 09:00 UTC.
    let r = app
        .get(&format!("/api/v1/containers/{}/events", jars[0]))
        .await;
    let returned = r
        .body
        .as_array()
        .and_then(|l| l.iter().find(|e| e["action"] == "return").cloned())
        .expect("the return");
    assert_eq!(returned["at"], "2026-11-15T09:00:00Z");
    assert_eq!(returned["id"], "0192f0aa-0000-7000-8000-000000000001");

    // Sent again (a line that did not hear back): nothing more is recorded.
    let (_, again) = capture(&app, &app.token, &doc).await;
    let statuses: Vec<&str> = again["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["status"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        statuses,
        [
            "duplicate",
            "duplicate",
            "duplicate",
            "duplicate",
            "duplicate",
            "duplicate",
            "duplicate",
            "rejected"
        ]
    );
    assert_eq!(app.count_events(), before + 10);
    // Boucle's own export, captured back, is all known already.
    let (_, exported) = export(&app, "from=2026-11-14&to=2026-11-21").await;
    let (_, back) = capture(&app, &app.token, &exported).await;
    assert!(
        back["results"]
            .as_array()
            .expect("results")
            .iter()
            .all(|r| r["status"] == "duplicate"),
        "{back:#?}"
    );

    // A shop's account cannot record at the washer; what is not EPCIS is refused whole.
    let till = app.user("shop", Some(&l.shop), "caisse@biocoop.test");
    let doc = document(vec![event(
        "urn:uuid:0192f0aa-0000-7000-8000-000000000009",
        &[&a],
        "collecting",
        "returned",
        &l.washer,
        "2026-11-21T10:00:00Z",
    )]);
    let (_, body) = capture(&app, &till, &doc).await;
    assert_eq!(body["results"][0]["error"]["error"], "forbidden_site");
    let (status, body) = capture(&app, &app.token, &json!({"events": []})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_body");
}

/// Gives `to` the sites and container types of `from`, with the same ids, as a loop moving
/// to a new server does: exported as CSV, imported as CSV.
async fn copy_catalog(from: &TestApp, to: &TestApp) {
    for what in ["sites", "types"] {
        let text = get_csv(from, &format!("/api/v1/export/{what}")).await;
        let (status, body) = send_csv(to, &format!("/api/v1/import/{what}"), &text).await;
        assert_eq!(status, StatusCode::OK, "{what}: {body:?}");
    }
}

async fn an_export_captured_into_a_fresh_database_gives_the_same_containers(backend: Backend) {
    let a = spawn_app(backend).await;
    script(&a).await;
    let period = "from=2026-01-01&to=2026-04-01";
    let (_, doc) = export(&a, period).await;
    let b = spawn_app(backend).await;
    copy_catalog(&a, &b).await;
    let (status, body) = capture(&b, &b.token, &doc).await;
    assert_eq!(status, StatusCode::OK, "{body:?}");
    let results = body["results"].as_array().expect("results");
    let refused: Vec<&Value> = results
        .iter()
        .filter(|r| r["status"] != "recorded")
        .collect();
    assert!(refused.is_empty(), "{refused:#?}");
    assert_eq!(b.count_events(), a.count_events());
    let mut codes: Vec<String> = doc["epcisBody"]["eventList"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| {
            e["epcList"][0]
                .as_str()
                .and_then(|u| u.rsplit('/').next())
                .map(str::to_owned)
        })
        .collect();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), 4, "three jars and a bottle");
    for code in &codes {
        let (x, y) = (a.container(code).await, b.container(code).await);
        for field in [
            "type_id",
            "state",
            "condition",
            "site_id",
            "shipment_id",
            "batch_id",
            "uses",
            "retired_reason",
        ] {
            assert_eq!(x[field], y[field], "{code} {field}");
        }
    }
    // The figures follow: the same uses, returns, trips and kilometres.
    let (x, y) = (
        a.get(&format!("/api/v1/reports/loop?{period}")).await.body,
        b.get(&format!("/api/v1/reports/loop?{period}")).await.body,
    );
    for field in [
        "uses",
        "reuses",
        "returns",
        "trips",
        "trips_returned",
        "broken",
        "lost",
        "shipments",
        "vehicle_km",
        "container_km",
    ] {
        assert_eq!(x[field], y[field], "{field}");
    }
    // The export of the new database is the same, but for when each event was recorded.
    let (_, again) = export(&b, period).await;
    let events = |d: &Value| {
        let mut list = d["epcisBody"]["eventList"]
            .as_array()
            .expect("events")
            .clone();
        for e in &mut list {
            e.as_object_mut().map(|o| o.remove("recordTime"));
        }
        list
    };
    assert_eq!(events(&again), events(&doc));
}
