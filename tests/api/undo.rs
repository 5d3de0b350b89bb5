//! Undoing a scan made by mistake: the container is back where it was, the figures no
//! longer count the scan, the event stays in the log, and only what can safely be undone
//! is.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{small_loop, spawn_app, Backend, TestApp};
use crate::on_both_backends;
use crate::reports::{receive, scan, ship};

on_both_backends!(
    an_undone_return_is_as_if_never_scanned,
    only_the_last_fill_sale_or_return_is_undone
);

async fn undo(app: &TestApp, token: &str, id: &str) -> (StatusCode, Value) {
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/scans/{id}/undo"),
            Some(token),
            None,
        )
        .await;
    (r.status, r.body)
}

/// A jar filled and sold at the shop in January; returns its code and the loop.
async fn sold_jar(app: &TestApp) -> (String, crate::helpers::Loop) {
    let l = small_loop(app).await;
    let jar = app
        .commission(&l.jar, &l.washer, 1, "2026-01-10T00:00:00Z")
        .await
        .remove(0);
    let s = ship(
        app,
        &l.washer,
        &l.producer,
        &[&jar],
        "2026-01-11T08:00:00Z",
        10.0,
        "van",
    )
    .await;
    receive(app, &s, "2026-01-11T10:00:00Z").await;
    scan(app, &jar, "fill", &l.producer, "2026-01-12T08:00:00Z").await;
    let s = ship(
        app,
        &l.producer,
        &l.shop,
        &[&jar],
        "2026-01-13T08:00:00Z",
        12.0,
        "van",
    )
    .await;
    receive(app, &s, "2026-01-13T10:00:00Z").await;
    scan(app, &jar, "sell", &l.shop, "2026-01-14T10:00:00Z").await;
    (jar, l)
}

async fn january(app: &TestApp) -> Value {
    app.get("/api/v1/reports/loop?from=2026-01-01&to=2026-02-01")
        .await
        .body
}

async fn an_undone_return_is_as_if_never_scanned(backend: Backend) {
    let app = spawn_app(backend).await;
    let (jar, l) = sold_jar(&app).await;
    let shop = app.user("shop", Some(&l.shop), "caisse@loop.test");
    let returned = app
        .scan(&shop, &jar, "return", &l.shop, "2026-01-20T10:00:00Z")
        .await;
    assert_eq!(returned["status"], "recorded");
    let r = january(&app).await;
    // One trip (received filled at the shop on the 13th), back on the 20th.
    assert_eq!(
        (
            r["returns"].as_i64(),
            r["trips_returned"].as_i64(),
            r["return_rate"].as_f64()
        ),
        (Some(1), Some(1), Some(1.0))
    );
    let events_before = app.count_events();

    let (status, body) = undo(&app, &shop, returned["id"].as_str().expect("id")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "recorded");
    assert_eq!(body["code"], jar.as_str());
    // Back with the customer, filled, as after the sale.
    assert_eq!(
        (
            body["container"]["state"].as_str(),
            body["container"]["condition"].as_str()
        ),
        (Some("with_consumer"), Some("filled"))
    );
    let r = january(&app).await;
    assert_eq!(
        (
            r["returns"].as_i64(),
            r["trips"].as_i64(),
            r["trips_returned"].as_i64(),
            r["return_rate"].as_f64()
        ),
        (Some(0), Some(1), Some(0), Some(0.0))
    );
    // The mistaken return stays in the log, with the undo that names it; the timeline and
    // the exports leave both out.
    assert_eq!(app.count_events(), events_before + 1);
    let timeline = app
        .get(&format!("/api/v1/containers/{jar}/events"))
        .await
        .body;
    let actions: Vec<&str> = timeline
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect();
    assert_eq!(
        actions,
        [
            "commission",
            "ship",
            "receive",
            "fill",
            "ship",
            "receive",
            "sell"
        ]
    );
    let epcis = app
        .get("/api/v1/epcis/events?from=2026-01-01&to=2027-01-01")
        .await
        .body;
    assert_eq!(
        epcis["epcisBody"]["eventList"]
            .as_array()
            .expect("events")
            .len(),
        7
    );
    let (status, again) = undo(&app, &shop, returned["id"].as_str().expect("id")).await;
    assert_eq!(
        (status, again["status"].as_str()),
        (StatusCode::OK, Some("duplicate"))
    );

    // The jar really comes back a week later: counted once.
    let back = app
        .scan(&shop, &jar, "return", &l.shop, "2026-01-27T10:00:00Z")
        .await;
    assert_eq!(back["status"], "recorded", "{back}");
    let r = january(&app).await;
    assert_eq!(
        (r["returns"].as_i64(), r["trips_returned"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(app.container(&jar).await["condition"], "dirty");

    // The counters kept with every scan equal a recomputation from the log.
    let mut conn = app.conn();
    let fresh = boucle::db::check::recompute(&mut conn, |_| {}).expect("recompute");
    assert_eq!(
        boucle::db::check::differences(&mut conn, &fresh).expect("compare"),
        Vec::<String>::new()
    );
}

async fn only_the_last_fill_sale_or_return_is_undone(backend: Backend) {
    let app = spawn_app(backend).await;
    let (jar, l) = sold_jar(&app).await;
    let timeline = app
        .get(&format!("/api/v1/containers/{jar}/events"))
        .await
        .body;
    let id_of = |action: &str| {
        timeline
            .as_array()
            .expect("events")
            .iter()
            .find(|e| e["action"] == action)
            .expect(action)["id"]
            .as_str()
            .expect("id")
            .to_owned()
    };
    // The fill has a later scan (the sale); a shipment is not a scan one undoes.
    for (action, why) in [
        ("fill", "has a later scan"),
        ("ship", "a ship cannot be undone"),
    ] {
        let (status, body) = undo(&app, &app.token, &id_of(action)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::CONFLICT, Some("not_undoable")),
            "{action}"
        );
        assert!(
            body["message"].as_str().expect("message").contains(why),
            "{body}"
        );
    }
    // Another shop's staff cannot undo this shop's sale; nobody undoes what does not exist.
    let other = app.user("shop", Some(&l.shop2), "autre@loop.test");
    let (status, body) = undo(&app, &other, &id_of("sell")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden_site"))
    );
    let (status, body) = undo(&app, &app.token, "01939a3e-0000-7000-8000-000000000000").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert_eq!(app.container(&jar).await["state"], "with_consumer");
}
