use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{small_loop, spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_jar_goes_round_the_loop,
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

pub async fn ship(
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
        json!([{"site_id": l.producer, "type_id": l.jar, "clean": 0, "filled": 0, "dirty": 0, "washing": 0, "inbound": 4, "with_consumer": 0, "days_of_cover": null}])
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
