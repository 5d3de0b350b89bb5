use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{small_loop, spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_jar_goes_round_the_loop,
    wash_rejects_retire_or_go_back_to_dirty,
    distances_come_from_the_best_source
);

fn stock_of<'a>(stock: &'a Value, site: &str) -> &'a Value {
    stock
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["site_id"] == site)
        .unwrap_or(&Value::Null)
}

async fn ship(
    app: &TestApp,
    from: &str,
    to: &str,
    codes: &[&String],
    at: &str,
    extra: Value,
) -> Value {
    let mut body =
        json!({"from_site_id": from, "to_site_id": to, "codes": codes, "departed_at": at});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let r = app.post("/api/v1/shipments", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body
}

async fn a_jar_goes_round_the_loop(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    let jars = app
        .commission(&l.jar, &l.washer, 4, "2026-02-02T07:00:00Z")
        .await;
    let all: Vec<&String> = jars.iter().collect();
    let out = ship(
        &app,
        &l.washer,
        &l.producer,
        &all,
        "2026-02-02T08:00:00Z",
        json!({"vehicle": "van"}),
    )
    .await;
    assert_eq!(
        (
            out["containers"].as_i64(),
            out["missing"].as_array().map(Vec::len)
        ),
        (Some(4), Some(4))
    );
    let sid = out["id"].as_str().expect("id");
    let stock = app
        .get(&format!("/api/v1/stock?site_id={}", l.producer))
        .await
        .body;
    assert_eq!(
        stock,
        json!([{"site_id": l.producer, "type_id": l.jar, "clean": 0, "filled": 0, "dirty": 0, "washing": 0, "inbound": 4, "with_consumer": 0}])
    );
    let rec = app
        .post(
            &format!("/api/v1/shipments/{sid}/receive"),
            json!({"at": "2026-02-02T09:00:00Z"}),
        )
        .await;
    assert_eq!(rec.status, StatusCode::OK, "{:?}", rec.body);
    assert_eq!(
        (
            rec.body["received_at"].as_str(),
            rec.body["missing"].clone()
        ),
        (Some("2026-02-02T09:00:00Z"), json!([]))
    );
    for jar in &jars[..3] {
        assert_eq!(
            app.scan(&app.token, jar, "fill", &l.producer, "2026-02-03T10:00:00Z")
                .await["status"],
            "recorded"
        );
    }
    let out = ship(
        &app,
        &l.producer,
        &l.shop,
        &[&jars[0], &jars[1]],
        "2026-02-03T12:00:00Z",
        json!({}),
    )
    .await;
    let sid = out["id"].as_str().expect("id").to_owned();
    let part = app
        .post(
            &format!("/api/v1/shipments/{sid}/receive"),
            json!({"at": "2026-02-03T13:00:00Z", "codes": [jars[0]]}),
        )
        .await;
    assert_eq!(part.body["missing"], json!([jars[1]]));
    let rest = app
        .post(
            &format!("/api/v1/shipments/{sid}/receive"),
            json!({"at": "2026-02-03T13:30:00Z"}),
        )
        .await;
    let statuses: Vec<(&str, &str)> = rest.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["code"].as_str().unwrap_or(""),
                r["status"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let mut expected = vec![
        (jars[0].as_str(), "duplicate"),
        (jars[1].as_str(), "recorded"),
    ];
    expected.sort();
    assert_eq!(statuses, expected);
    assert_eq!(
        (
            rest.body["missing"].clone(),
            rest.body["received_at"].as_str()
        ),
        (json!([]), Some("2026-02-03T13:00:00Z"))
    );
    // jar 0 is sold and comes back to the other shop; jar 1 is brought back unsold.
    assert_eq!(
        app.scan(
            &app.token,
            &jars[0],
            "sell",
            &l.shop,
            "2026-02-04T10:00:00Z"
        )
        .await["container"]["state"],
        "with_consumer"
    );
    let back = app
        .scan(
            &app.token,
            &jars[0],
            "return",
            &l.shop2,
            "2026-02-09T10:00:00Z",
        )
        .await;
    assert_eq!(
        (
            back["container"]["site_id"].as_str(),
            back["container"]["condition"].as_str()
        ),
        (Some(l.shop2.as_str()), Some("dirty"))
    );
    assert_eq!(
        app.scan(
            &app.token,
            &jars[1],
            "return",
            &l.shop,
            "2026-02-09T11:00:00Z"
        )
        .await["status"],
        "recorded"
    );
    let stock = app.get("/api/v1/stock").await.body;
    assert_eq!(
        (
            stock_of(&stock, &l.shop)["dirty"].as_i64(),
            stock_of(&stock, &l.shop2)["dirty"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(
        (
            stock_of(&stock, &l.producer)["filled"].as_i64(),
            stock_of(&stock, &l.producer)["clean"].as_i64()
        ),
        (Some(1), Some(1))
    );
    let c = app.container(&jars[0]).await;
    assert_eq!(
        (c["uses"].as_i64(), c["state"].as_str()),
        (Some(1), Some("at_site"))
    );
}

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
    assert_eq!(open.status, StatusCode::CREATED, "{:?}", open.body);
    let errors: Vec<&str> = open.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["error"]["error"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(errors, vec!["invalid_transition", "wrong_site"]);
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

async fn distances_come_from_the_best_source(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    let jars = app
        .commission(&l.jar, &l.washer, 6, "2026-02-02T07:00:00Z")
        .await;
    // No route: great circle 14.9439 km (computed by hand) times the 1.3 detour factor.
    let s = ship(
        &app,
        &l.washer,
        &l.producer,
        &[&jars[0]],
        "2026-02-02T08:00:00Z",
        json!({}),
    )
    .await;
    assert_eq!(s["distance_source"], "haversine");
    assert!(
        (s["distance_km"].as_f64().expect("km") - 19.427_080_297).abs() < 1e-6,
        "{}",
        s["distance_km"]
    );
    let r = app
        .put(
            "/api/v1/routes",
            json!({"from_site_id": l.washer, "to_site_id": l.producer, "distance_km": 17.5}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let s = ship(
        &app,
        &l.washer,
        &l.producer,
        &[&jars[1]],
        "2026-02-02T08:00:00Z",
        json!({}),
    )
    .await;
    assert_eq!(
        (s["distance_km"].as_f64(), s["distance_source"].as_str()),
        (Some(17.5), Some("route"))
    );
    // The route serves the other direction too, until that one is set.
    let back = app
        .commission(&l.jar, &l.producer, 2, "2026-02-02T07:00:00Z")
        .await;
    let s = ship(
        &app,
        &l.producer,
        &l.washer,
        &[&back[0]],
        "2026-02-02T08:00:00Z",
        json!({}),
    )
    .await;
    assert_eq!(
        (s["distance_km"].as_f64(), s["distance_source"].as_str()),
        (Some(17.5), Some("route"))
    );
    app.put(
        "/api/v1/routes",
        json!({"from_site_id": l.producer, "to_site_id": l.washer, "distance_km": 18.0}),
    )
    .await;
    let s = ship(
        &app,
        &l.producer,
        &l.washer,
        &[&back[1]],
        "2026-02-02T08:00:00Z",
        json!({}),
    )
    .await;
    assert_eq!(s["distance_km"].as_f64(), Some(18.0));
    let s = ship(
        &app,
        &l.washer,
        &l.producer,
        &[&jars[2]],
        "2026-02-02T08:00:00Z",
        json!({"distance_km": 8.25, "vehicle": "cargo_bike"}),
    )
    .await;
    assert_eq!(
        (
            s["distance_km"].as_f64(),
            s["distance_source"].as_str(),
            s["vehicle"].as_str()
        ),
        (Some(8.25), Some("explicit"), Some("cargo_bike"))
    );
    let r = app.post("/api/v1/shipments", json!({"from_site_id": l.washer, "to_site_id": l.producer, "codes": [jars[3]], "vehicle": "rocket"})).await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field")
    );
    let r = app
        .post(
            "/api/v1/shipments",
            json!({"from_site_id": l.washer, "to_site_id": l.washer, "codes": [jars[3]]}),
        )
        .await;
    assert_eq!(
        r.message(),
        "a shipment goes from one site to another: from_site_id and to_site_id are the same"
    );
    let r = app
        .put(
            "/api/v1/routes",
            json!({"from_site_id": l.washer, "to_site_id": "nowhere", "distance_km": 3.0}),
        )
        .await;
    assert_eq!(r.error(), "unknown_site");
    // A shipment sent again with its id is answered, not recorded twice.
    let id = "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
    let body = json!({"id": id, "from_site_id": l.washer, "to_site_id": l.producer, "codes": [jars[4], jars[5]], "departed_at": "2026-02-02T08:00:00Z"});
    let first = app.post("/api/v1/shipments", body.clone()).await;
    let events = app.count_events();
    let again = app.post("/api/v1/shipments", body).await;
    assert_eq!(
        (again.body["id"].as_str(), again.body["containers"].as_i64()),
        (Some(id), Some(2))
    );
    assert_eq!(again.body["results"][0]["status"], "duplicate");
    assert_eq!(
        again.body["results"][0]["id"],
        first.body["results"][0]["id"]
    );
    assert_eq!(app.count_events(), events);
}
