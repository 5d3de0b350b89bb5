use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::flows::ship;
use crate::helpers::{small_loop, spawn_app, Backend};
use crate::on_both_backends;

on_both_backends!(wash_rejects_retire_or_go_back_to_dirty);

async fn wash_rejects_retire_or_go_back_to_dirty(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    let jars = app
        .commission(&l.jar, &l.shop, 3, "2026-02-02T07:00:00Z")
        .await;
    let clean_elsewhere = app
        .commission(&l.jar, &l.producer, 1, "2026-02-02T07:00:00Z")
        .await
        .remove(0);
    // Dirty containers arrive at the washer (the return is inferred from the shipment).
    for jar in &jars {
        let r = app
            .scan(&app.token, jar, "retire", &l.shop, "2026-02-02T06:00:00Z")
            .await;
        assert_eq!(r["error"]["error"], "before_commissioning");
    }
    let all: Vec<&String> = jars.iter().collect();
    let out = ship(
        &app,
        &l.shop,
        &l.washer,
        &all,
        "2026-02-02T08:00:00Z",
        json!({}),
    )
    .await;
    app.post(
        &format!(
            "/api/v1/shipments/{}/receive",
            out["id"].as_str().expect("id")
        ),
        json!({"at": "2026-02-02T09:00:00Z"}),
    )
    .await;
    let stock = app
        .get(&format!("/api/v1/stock?site_id={}", l.washer))
        .await
        .body;
    assert_eq!(stock[0]["clean"], 3, "clean jars shipped stay clean");
    // Clean jars are not washed: only dirty ones can go in a batch.
    let batch_id = "0b1e8a5e-7c4e-4b8a-9f3e-2a6d1c5b7e90";
    let open = app.post("/api/v1/wash-batches", json!({"id": batch_id, "site_id": l.washer, "codes": [jars[0], clean_elsewhere], "started_at": "2026-02-02T10:00:00Z", "program": "bocaux", "temperature_c": 65})).await;
    // Neither can go in: the batch is refused whole, each container named with its reason,
    // and no batch is made.
    assert_eq!(
        open.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        open.body
    );
    assert_eq!(open.error(), "nothing_recorded");
    assert_eq!(
        open.message(),
        format!("none of the 2 containers could be put in the batch, so nothing was recorded ({j}: container {j} is at Laverie Uzaje, clean; to wash it, it must be dirty, on the premises of this washer; {e}: container {e} is at Laiterie Noyal, not at this site)", j = jars[0], e = clean_elsewhere)
    );
    let made = app.get(&format!("/api/v1/wash-batches/{batch_id}")).await;
    assert_eq!(made.status, StatusCode::NOT_FOUND);
    // Make them dirty: sold and returned at the washer's shop counter is not a thing, so
    // bring dirty jars the usual way.
    let dirty = app
        .commission(&l.jar, &l.producer, 3, "2026-02-03T07:00:00Z")
        .await;
    for jar in &dirty {
        app.scan(&app.token, jar, "fill", &l.producer, "2026-02-03T08:00:00Z")
            .await;
        app.scan(
            &app.token,
            jar,
            "return",
            &l.producer,
            "2026-02-03T09:00:00Z",
        )
        .await;
    }
    let d: Vec<&String> = dirty.iter().collect();
    let out = ship(
        &app,
        &l.producer,
        &l.washer,
        &d,
        "2026-02-03T10:00:00Z",
        json!({}),
    )
    .await;
    assert_eq!(
        out["results"]
            .as_array()
            .map(|r| r.iter().filter(|x| x["status"] == "recorded").count()),
        Some(3)
    );
    // Opening the batch without receiving first: the receipt is inferred.
    let b2 = "5d0c3c8e-1f6a-4d7b-8e2a-9c4b3a2f1e0d";
    let open = app.post("/api/v1/wash-batches", json!({"id": b2, "site_id": l.washer, "codes": dirty, "started_at": "2026-02-03T12:00:00Z"})).await;
    assert_eq!(
        open.body["results"].as_array().map(|r| r
            .iter()
            .filter(|x| x["inferred_actions"] == json!(["receive"]))
            .count()),
        Some(3),
        "{:?}",
        open.body
    );
    let stock = app
        .get(&format!("/api/v1/stock?site_id={}", l.washer))
        .await
        .body;
    assert_eq!(
        (stock[0]["washing"].as_i64(), stock[0]["dirty"].as_i64()),
        (Some(3), Some(0))
    );
    let done = json!({"finished_at": "2026-02-03T13:00:00Z", "rejected": [{"code": dirty[0], "reason": "broken"}, {"code": dirty[1], "reason": "rewash"}], "water_l": 120.5, "energy_kwh": 9.25});
    let r = app
        .post(&format!("/api/v1/wash-batches/{b2}/complete"), done.clone())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        (r.body["washed"].as_i64(), r.body["rejected"].as_i64()),
        (Some(1), Some(2))
    );
    assert_eq!(
        (
            r.body["finished_at"].as_str(),
            r.body["water_l"].as_f64(),
            r.body["energy_kwh"].as_f64()
        ),
        (Some("2026-02-03T13:00:00Z"), Some(120.5), Some(9.25))
    );
    let c0 = app.container(&dirty[0]).await;
    assert_eq!(
        (
            c0["state"].as_str(),
            c0["retired_reason"].as_str(),
            c0["condition"].as_str()
        ),
        (Some("retired"), Some("broken"), Some("dirty"))
    );
    let c1 = app.container(&dirty[1]).await;
    assert_eq!(
        (
            c1["state"].as_str(),
            c1["condition"].as_str(),
            c1["site_id"].as_str()
        ),
        (Some("at_site"), Some("dirty"), Some(l.washer.as_str()))
    );
    let c2 = app.container(&dirty[2]).await;
    assert_eq!(
        (
            c2["state"].as_str(),
            c2["condition"].as_str(),
            c2["batch_id"].clone()
        ),
        (Some("at_site"), Some("clean"), Value::Null)
    );
    let events = app.count_events();
    let again = app
        .post(&format!("/api/v1/wash-batches/{b2}/complete"), done)
        .await;
    assert_eq!(
        (
            again.status,
            again.body["washed"].as_i64(),
            again.body["rejected"].as_i64()
        ),
        (StatusCode::OK, Some(1), Some(2))
    );
    assert_eq!(
        app.count_events(),
        events,
        "a completion sent again changes nothing"
    );
    let stock = app
        .get(&format!("/api/v1/stock?site_id={}", l.washer))
        .await
        .body;
    assert_eq!(
        (
            stock[0]["clean"].as_i64(),
            stock[0]["dirty"].as_i64(),
            stock[0]["washing"].as_i64()
        ),
        (Some(4), Some(1), Some(0))
    );
}
