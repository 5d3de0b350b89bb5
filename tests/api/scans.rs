use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{small_loop, spawn_app, Backend};
use crate::on_both_backends;

on_both_backends!(
    each_bad_scan_is_refused_alone,
    bad_requests_change_nothing,
    a_scan_sent_again_is_a_duplicate,
    a_skipped_return_is_inferred_then_replaced_by_the_late_scan,
    a_retired_container_stays_retired,
);

pub const T0: &str = "2026-01-05T08:00:00Z";

pub fn statuses(results: &Value) -> Vec<&str> {
    results
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["status"].as_str().expect("status"))
        .collect()
}

async fn each_bad_scan_is_refused_alone(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    let codes = app.commission(&l.jar, &l.producer, 2, T0).await;
    let before = app.count_events();
    let r = app
        .post(
            "/api/v1/scans",
            json!({"scans": [
                {"code": codes[0], "action": "fill", "site_id": l.producer, "at": "2026-01-05T09:00:00Z"},
                {"code": "ZW-0000-0000", "action": "fill", "site_id": l.producer},
                {"code": codes[1], "action": "sell", "site_id": l.shop, "at": "2026-01-05T09:00:00Z"},
                {"code": codes[1], "action": "fill", "site_id": l.producer, "at": "2099-01-01T00:00:00Z"},
                {"code": codes[1], "action": "wash", "site_id": l.producer},
                {"code": codes[1], "action": "fill", "site_id": l.producer, "at": "2026-01-05T09:30:00Z"},
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let res = &r.body["results"];
    assert_eq!(
        statuses(res),
        vec!["recorded", "rejected", "rejected", "rejected", "rejected", "recorded"]
    );
    assert_eq!(res[1]["error"]["error"], "unknown_code");
    assert_eq!(res[1]["error"]["message"], "no container has the code ZW-0000-0000; check the label, or ask a coordinator to commission it");
    assert_eq!(res[2]["error"]["error"], "wrong_site");
    assert_eq!(
        res[2]["error"]["message"],
        format!(
            "container {} is at Laiterie Noyal, not at this site",
            codes[1]
        )
    );
    assert_eq!(res[3]["error"]["error"], "future_time");
    assert_eq!(res[4]["error"]["error"], "invalid_action");
    assert_eq!(
        res[4]["error"]["message"],
        "action \"wash\" cannot be scanned; give one of fill, sell, return, break, lose, retire"
    );
    assert_eq!(
        (
            res[0]["container"]["condition"].as_str(),
            res[0]["container"]["uses"].as_i64()
        ),
        (Some("filled"), Some(1))
    );
    assert_eq!(app.count_events(), before + 2);
    // Filling a filled jar names what was found and what was expected.
    let again = app
        .scan(
            &app.token,
            &codes[0],
            "fill",
            &l.producer,
            "2026-01-05T10:00:00Z",
        )
        .await;
    assert_eq!(again["error"]["error"], "invalid_transition");
    assert_eq!(
        again["error"]["message"],
        format!("container {} is at Laiterie Noyal, filled; to fill it, it must be clean, on the premises of a producer or company", codes[0])
    );
}

async fn bad_requests_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    let code = app.commission(&l.jar, &l.producer, 1, T0).await.remove(0);
    let before = app.count_events();
    let one = json!({"code": code, "action": "fill", "site_id": l.producer});
    let r = app
        .post("/api/v1/scans", json!({"scans": vec![one.clone(); 1001]}))
        .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::UNPROCESSABLE_ENTITY, "batch_too_large")
    );
    assert_eq!(
        r.message(),
        "1001 scans in one request; send at most 1000 and the rest in further requests"
    );
    let r = app
        .post(
            "/api/v1/scans",
            json!({"scans": [one, {"action": "fill", "site_id": l.producer}]}),
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::BAD_REQUEST, "invalid_body")
    );
    assert!(
        r.message().contains("missing field `code`"),
        "{}",
        r.message()
    );
    let r = app.post("/api/v1/scans", json!({"scan": []})).await;
    assert_eq!(r.error(), "invalid_body");
    assert_eq!(app.count_events(), before);
    assert_eq!(app.container(&code).await["uses"], 0);
}

async fn a_scan_sent_again_is_a_duplicate(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    let codes = app.commission(&l.jar, &l.producer, 2, T0).await;
    let id = "6f9619ff-8b86-4011-b42d-00c04fc964ff";
    let body = json!({"scans": [{"id": id, "code": codes[0], "action": "fill", "site_id": l.producer, "at": "2026-01-05T09:00:00Z"}]});
    let first = app.post("/api/v1/scans", body.clone()).await;
    assert_eq!(statuses(&first.body["results"]), vec!["recorded"]);
    assert_eq!(first.body["results"][0]["id"], id);
    let events = app.count_events();
    for _ in 0..2 {
        let again = app.post("/api/v1/scans", body.clone()).await;
        assert_eq!(statuses(&again.body["results"]), vec!["duplicate"]);
        assert_eq!(again.body["results"][0]["container"]["uses"], 1);
    }
    assert_eq!(app.count_events(), events);
    // The same id on another container is a mistake, not a duplicate.
    let reused = app.post("/api/v1/scans", json!({"scans": [{"id": id, "code": codes[1], "action": "fill", "site_id": l.producer}]})).await;
    assert_eq!(reused.body["results"][0]["error"]["error"], "id_reused");
    let bad = app.post("/api/v1/scans", json!({"scans": [{"id": "42", "code": codes[1], "action": "fill", "site_id": l.producer}]})).await;
    assert_eq!(bad.body["results"][0]["error"]["error"], "invalid_id");
    assert_eq!(app.count_events(), events);
}

/// A shop's till was offline: its return scan arrives after the container left for the
/// washer. The shipment inferred the return; the late scan takes its place.
async fn a_skipped_return_is_inferred_then_replaced_by_the_late_scan(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    let code = app.commission(&l.jar, &l.producer, 1, T0).await.remove(0);
    assert_eq!(
        app.scan(
            &app.token,
            &code,
            "fill",
            &l.producer,
            "2026-01-05T09:00:00Z"
        )
        .await["status"],
        "recorded"
    );
    let out = app.post("/api/v1/shipments", json!({"from_site_id": l.producer, "to_site_id": l.shop, "codes": [code], "departed_at": "2026-01-05T10:00:00Z"})).await;
    let sid = out.body["id"].as_str().expect("id").to_owned();
    app.post(
        &format!("/api/v1/shipments/{sid}/receive"),
        json!({"at": "2026-01-05T11:00:00Z"}),
    )
    .await;
    assert_eq!(
        app.scan(&app.token, &code, "sell", &l.shop, "2026-01-06T09:00:00Z")
            .await["status"],
        "recorded"
    );
    let back = app.post("/api/v1/shipments", json!({"from_site_id": l.shop, "to_site_id": l.washer, "codes": [code], "departed_at": "2026-01-08T09:00:00Z"})).await;
    assert_eq!(back.status, StatusCode::CREATED, "{:?}", back.body);
    let result = &back.body["results"][0];
    assert_eq!(
        (result["status"].as_str(), result["inferred"].as_bool()),
        (Some("recorded"), Some(true))
    );
    assert_eq!(result["inferred_actions"], json!(["return"]));
    assert_eq!(
        (
            result["container"]["state"].as_str(),
            result["container"]["condition"].as_str()
        ),
        (Some("in_transit"), Some("dirty"))
    );
    let timeline = |events: &Value| -> Vec<(String, String, bool)> {
        events
            .as_array()
            .expect("events")
            .iter()
            .map(|e| {
                (
                    e["action"].as_str().unwrap_or("").to_owned(),
                    e["at"].as_str().unwrap_or("").to_owned(),
                    e["inferred"].as_bool().unwrap_or(false),
                )
            })
            .collect()
    };
    let events = app
        .get(&format!("/api/v1/containers/{code}/events"))
        .await
        .body;
    let returns: Vec<_> = timeline(&events)
        .into_iter()
        .filter(|(a, _, _)| a == "return")
        .collect();
    assert_eq!(
        returns,
        vec![("return".to_owned(), "2026-01-08T09:00:00Z".to_owned(), true)]
    );
    let inferred_id = events
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["inferred"] == true)
        .map(|e| e["id"].clone());
    let events_again = app
        .get(&format!("/api/v1/containers/{code}/events"))
        .await
        .body;
    assert_eq!(
        inferred_id,
        events_again
            .as_array()
            .expect("events")
            .iter()
            .find(|e| e["inferred"] == true)
            .map(|e| e["id"].clone()),
        "inferred ids are stable"
    );
    // The offline till sends its return scan of the 7th.
    let late = app
        .scan(&app.token, &code, "return", &l.shop, "2026-01-07T18:00:00Z")
        .await;
    assert_eq!(late["status"], "recorded", "{late:?}");
    assert_eq!(
        (
            late["container"]["state"].as_str(),
            late["container"]["condition"].as_str()
        ),
        (Some("in_transit"), Some("dirty"))
    );
    let events = app
        .get(&format!("/api/v1/containers/{code}/events"))
        .await
        .body;
    assert_eq!(
        timeline(&events)
            .into_iter()
            .map(|(a, at, inf)| format!("{a}@{at}{}", if inf { "?" } else { "" }))
            .collect::<Vec<_>>(),
        vec![
            "commission@2026-01-05T08:00:00Z",
            "fill@2026-01-05T09:00:00Z",
            "ship@2026-01-05T10:00:00Z",
            "receive@2026-01-05T11:00:00Z",
            "sell@2026-01-06T09:00:00Z",
            "return@2026-01-07T18:00:00Z",
            "ship@2026-01-08T09:00:00Z",
        ]
    );
}

async fn a_retired_container_stays_retired(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    let code = app.commission(&l.jar, &l.producer, 1, T0).await.remove(0);
    app.scan(
        &app.token,
        &code,
        "fill",
        &l.producer,
        "2026-01-05T09:00:00Z",
    )
    .await;
    // A late break before a later fill would silently undo that use.
    let early = app
        .scan(
            &app.token,
            &code,
            "break",
            &l.producer,
            "2026-01-05T08:30:00Z",
        )
        .await;
    assert_eq!(early["error"]["error"], "conflicts_with_later_event");
    let broken = app
        .scan(
            &app.token,
            &code,
            "break",
            &l.producer,
            "2026-01-05T10:00:00Z",
        )
        .await;
    assert_eq!(
        (
            broken["container"]["state"].as_str(),
            broken["container"]["retired_reason"].as_str()
        ),
        (Some("retired"), Some("broken"))
    );
    for action in ["fill", "return", "retire"] {
        let r = app
            .scan(
                &app.token,
                &code,
                action,
                &l.producer,
                "2026-01-05T11:00:00Z",
            )
            .await;
        assert_eq!(r["error"]["error"], "container_retired", "{action}");
        assert_eq!(
            r["error"]["message"],
            format!(
                "container {code} was retired (broken); a retired container cannot be used again"
            )
        );
    }
    let ship = app
        .post(
            "/api/v1/shipments",
            json!({"from_site_id": l.producer, "to_site_id": l.shop, "codes": [code]}),
        )
        .await;
    // Nothing of it could go on board: the shipment is refused whole and not made.
    assert_eq!(ship.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(ship.error(), "nothing_recorded");
    assert_eq!(
        ship.message(),
        format!("none of the 1 containers could be shipped, so nothing was recorded ({code}: container {code} was retired (broken); a retired container cannot be used again)")
    );
    assert_eq!(app.container(&code).await["state"], "retired");
}
