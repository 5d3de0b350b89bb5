//! What an outside review did to corrupt the record, each through the real server: refused,
//! with a clear error, and the loop's figures exactly as before (DESIGN sections 2 and 3).

use reqwest::{header, StatusCode};
use serde_json::{json, Value};

use crate::epcis_capture::{capture, document, event};
use crate::helpers::{small_loop, spawn_app, Backend, Loop, TestApp};
use crate::on_both_backends;
use crate::pages::{client, hidden, session_cookie};
use crate::reports::{receive, report, scan};

on_both_backends!(
    a_shop_ends_the_life_only_of_what_it_holds,
    absurd_numbers_and_empty_requests_change_nothing,
    one_request_cannot_hold_the_service
);

const PERIOD: &str = "from=2026-11-01&to=2026-12-01";

/// Everything a funder would read of November, and every container's state.
pub async fn record_of(app: &TestApp, codes: &[String]) -> (Value, Value, Vec<Value>, i64) {
    let month = report(app, PERIOD).await;
    let monthly = app
        .get(&format!("/api/v1/reports/loop/monthly?{PERIOD}"))
        .await;
    assert_eq!(monthly.status, StatusCode::OK, "{:?}", monthly.body);
    let mut states = Vec::new();
    for c in codes {
        states.push(app.container(c).await);
    }
    (month, monthly.body, states, app.count_events())
}

/// A shipment of `codes` by the coordinator, 10 km by van; its id.
pub async fn ship(app: &TestApp, from: &str, to: &str, codes: &[&String], at: &str) -> String {
    let r = app.post("/api/v1/shipments", json!({"from_site_id": from, "to_site_id": to, "codes": codes, "departed_at": at, "distance_km": 10.0, "vehicle": "van"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["id"].as_str().expect("id").to_owned()
}

/// Seven jars of the producer, placed all over the loop in early November: a on the
/// producer's premises, b filled on Cesson's shelf, c sold by Cesson, d clean at the washer,
/// e on its way to Cesson, f filled at Rennes, g on its way to Rennes.
pub async fn spread(app: &TestApp, l: &Loop) -> Vec<String> {
    let j = app
        .commission(&l.jar, &l.producer, 7, "2026-11-02T08:00:00Z")
        .await;
    for i in [1, 2, 5, 6] {
        scan(app, &j[i], "fill", &l.producer, "2026-11-03T08:00:00Z").await;
    }
    let to_cesson = ship(
        app,
        &l.producer,
        &l.shop2,
        &[&j[1], &j[2]],
        "2026-11-03T09:00:00Z",
    )
    .await;
    receive(app, &to_cesson, "2026-11-03T11:00:00Z").await;
    scan(app, &j[2], "sell", &l.shop2, "2026-11-04T10:00:00Z").await;
    let to_washer = ship(
        app,
        &l.producer,
        &l.washer,
        &[&j[3]],
        "2026-11-03T09:00:00Z",
    )
    .await;
    receive(app, &to_washer, "2026-11-03T11:00:00Z").await;
    ship(app, &l.producer, &l.shop2, &[&j[4]], "2026-11-05T09:00:00Z").await;
    let to_rennes = ship(app, &l.producer, &l.shop, &[&j[5]], "2026-11-03T09:00:00Z").await;
    receive(app, &to_rennes, "2026-11-03T11:00:00Z").await;
    ship(app, &l.producer, &l.shop, &[&j[6]], "2026-11-05T09:00:00Z").await;
    j
}

async fn a_shop_ends_the_life_only_of_what_it_holds(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    let j = spread(&app, &l).await;
    let shop = app.user("shop", Some(&l.shop), "till@rennes.test");
    let before = record_of(&app, &j).await;

    // In one request, Rennes ends the life of jars that are anywhere but with it.
    let at = "2026-11-06T10:00:00Z";
    let scans: Vec<Value> = [
        (0, "retire"),
        (1, "break"),
        (2, "lose"),
        (3, "retire"),
        (4, "lose"),
    ]
    .iter()
    .map(|(i, action)| json!({"code": j[*i], "action": action, "site_id": l.shop, "at": at}))
    .chain([json!({"code": j[1], "action": "break", "site_id": l.shop2, "at": at})])
    .collect();
    let r = app
        .post_as(&shop, "/api/v1/scans", json!({"scans": scans}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let results = r.body["results"].as_array().expect("results");
    let found = [
        "at Laiterie Noyal, clean",
        "at Biocoop Cesson, filled",
        "with a consumer (sold by Biocoop Cesson)",
        "at Laverie Uzaje, clean",
        "in transit from Laiterie Noyal to Biocoop Cesson",
    ];
    for (i, (result, found)) in results.iter().zip(found).enumerate() {
        let action = scans[i]["action"].as_str().expect("action");
        assert_eq!(result["status"], "rejected", "{result:?}");
        assert_eq!(result["error"]["error"], "forbidden_container");
        assert_eq!(
            result["error"]["message"],
            format!("container {} is {found}; your account may {action} only a container on its site's premises, with a consumer of its shop or on a shipment from or to its site: ask a coordinator", j[i])
        );
    }
    assert_eq!(
        (
            &results[5]["error"]["error"],
            &results[5]["error"]["message"]
        ),
        (
            &json!("forbidden_site"),
            &json!("your account records only at its own site, not at Biocoop Cesson")
        )
    );
    // The public page of a jar, with the shop's session: refused, and nothing recorded.
    let cookie = session_cookie(&app, "till@rennes.test").await;
    let c = client();
    let page = c
        .get(format!("{}/c/{}", app.address, j[1]))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .expect("page");
    let csrf = hidden(&page.text().await.expect("html"), "csrf");
    let broke = c
        .post(format!("{}/c/{}/scan", app.address, j[1]))
        .header(header::COOKIE, &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "break"),
            ("once", &crate::pages::form_key()),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(broke.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = broke.text().await.expect("html");
    assert!(
        html.contains("seule la coordination peut le déclarer cassé, perdu ou retiré"),
        "{html}"
    );
    assert_eq!(record_of(&app, &j).await, before, "nothing changed");

    // What Rennes holds, it may end: f on its shelf, g on a shipment to it.
    let ended = app
        .post_as(
            &shop,
            "/api/v1/scans",
            json!({"scans": [
                {"code": j[5], "action": "break", "site_id": l.shop, "at": at},
                {"code": j[6], "action": "lose", "site_id": l.shop, "at": at},
            ]}),
        )
        .await;
    let statuses: Vec<&Value> = ended.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| &r["status"])
        .collect();
    assert_eq!(statuses, [&json!("recorded"), &json!("recorded")]);
    // A coordinator may end any: a, on the producer's premises.
    let coordinator = app.scan(&app.token, &j[0], "retire", &l.producer, at).await;
    assert_eq!(coordinator["status"], "recorded", "{coordinator:?}");
    // Four fills of 25 g single-use packaging, then three jars of 210 g retired.
    let after = report(&app, PERIOD).await;
    assert_eq!((&after["broken"], &after["lost"]), (&json!(1), &json!(1)));
    assert_eq!(
        (&before.0["broken"], &before.0["lost"]),
        (&json!(0), &json!(0))
    );
    let kg = |r: &Value| r["avoided_waste_kg"].as_f64().expect("avoided_waste_kg");
    assert!(
        (kg(&before.0) - 4.0 * 0.025).abs() < 1e-9,
        "{}",
        kg(&before.0)
    );
    assert!(
        (kg(&after) - (4.0 * 0.025 - 3.0 * 0.210)).abs() < 1e-9,
        "{}",
        kg(&after)
    );
}

async fn absurd_numbers_and_empty_requests_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    let j = spread(&app, &l).await;
    let before = record_of(&app, &j).await;
    let refused = |r: &crate::helpers::Reply, code: &str, message: &str| {
        assert_eq!(
            (r.status, r.error(), r.message()),
            (StatusCode::UNPROCESSABLE_ENTITY, code, message),
            "{:?}",
            r.body
        );
    };

    let far = app.post("/api/v1/shipments", json!({"from_site_id": l.producer, "to_site_id": l.shop, "codes": ["ZW-0000-0000"], "distance_km": 1.7e308})).await;
    refused(
        &far,
        "invalid_field",
        "distance_km must be a number from 0 to 20000 km, not 1.7e308",
    );
    let unknown = app.post("/api/v1/shipments", json!({"from_site_id": l.producer, "to_site_id": l.shop, "codes": ["nope"], "distance_km": 12.0})).await;
    refused(&unknown, "nothing_recorded", "none of the 1 containers could be shipped, so nothing was recorded (nope: \"nope\" is not a container code: a code has 8 characters after its prefix, this one has 4)");
    let old = app.post("/api/v1/shipments", json!({"from_site_id": l.producer, "to_site_id": l.shop, "codes": [j[0]], "departed_at": "1900-01-01T00:00:00Z"})).await;
    refused(&old, "nothing_recorded", &format!("none of the 1 containers could be shipped, so nothing was recorded ({0}: container {0} was commissioned at 2026-11-02 08:00:00 UTC, after this scan's time)", j[0]));
    let route = app
        .put(
            "/api/v1/routes",
            json!({"from_site_id": l.producer, "to_site_id": l.shop, "distance_km": 1e300}),
        )
        .await;
    refused(
        &route,
        "invalid_field",
        "distance_km must be a number from 0 to 20000 km, not 1e300",
    );
    let wash = app
        .post(
            "/api/v1/wash-batches",
            json!({"site_id": l.washer, "codes": [j[3]]}),
        )
        .await;
    refused(&wash, "nothing_recorded", &format!("none of the 1 containers could be put in the batch, so nothing was recorded ({0}: container {0} is at Laverie Uzaje, clean; to wash it, it must be dirty, on the premises of this washer)", j[3]));
    let hot = app
        .post(
            "/api/v1/wash-batches",
            json!({"site_id": l.washer, "codes": [j[3]], "temperature_c": 1e300}),
        )
        .await;
    refused(
        &hot,
        "invalid_field",
        "temperature_c must be a number from -50 to 150 °C, not 1e300",
    );
    let factor = app
        .post(
            "/api/v1/emission-factors",
            json!({"kind": "transport", "subject": "van", "value": 1e300, "source": "x"}),
        )
        .await;
    refused(
        &factor,
        "invalid_field",
        "value must be a number from 0 to 10000 kg CO2e, not 1e300",
    );
    let heavy = app.post("/api/v1/container-types", json!({"name": "Lourd", "material": "glass", "tare_mass_g": 1e300, "single_use_mass_g": 1.0})).await;
    refused(
        &heavy,
        "invalid_field",
        "tare_mass_g must be a number from 0 to 1000000 g, not 1e300",
    );
    assert_eq!(record_of(&app, &j).await, before, "nothing changed");
    let routes = app.get("/api/v1/routes").await;
    assert_eq!(routes.body, json!([]));
}

async fn one_request_cannot_hold_the_service(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    for path in [
        "/api/v1/reports/loop/monthly",
        "/api/v1/reports/loop",
        "/api/v1/reports/flows",
        "/api/v1/reports/returns",
        "/api/v1/epcis/events",
    ] {
        let r = app
            .get(&format!("{path}?from=0001-01-01&to=9999-12-31"))
            .await;
        assert_eq!(
            (r.status, r.error(), r.message()),
            (
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "from 0001-01-01 to 9999-12-31 is longer than 20 years; ask for a shorter period"
            ),
            "{path}"
        );
    }
    let twenty = app
        .get("/api/v1/reports/loop/monthly?from=2007-01-01&to=2027-01-01")
        .await;
    assert_eq!(twenty.status, StatusCode::OK, "{:?}", twenty.body);
    assert_eq!(twenty.body.as_array().map(Vec::len), Some(240));

    // 10,001 containers named by one document, over two events: refused before anything.
    let jar = app
        .commission(&l.jar, &l.shop, 1, "2026-11-02T08:00:00Z")
        .await;
    let codes: Vec<String> = (0..5001)
        .map(|_| format!("https://boucle.test/c/{}", jar[0]))
        .collect();
    let refs: Vec<&str> = codes.iter().map(String::as_str).collect();
    let events = vec![
        event(
            "urn:uuid:0192f0aa-0000-7000-8000-0000000000a1",
            &refs,
            "collecting",
            "returned",
            &l.shop,
            "2026-11-06T10:00:00Z",
        ),
        event(
            "urn:uuid:0192f0aa-0000-7000-8000-0000000000a2",
            &refs[..5000],
            "collecting",
            "returned",
            &l.shop,
            "2026-11-06T10:00:00Z",
        ),
    ];
    let events_before = app.count_events();
    let (status, body) = capture(&app, &app.token, &document(events)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:?}");
    assert_eq!(body["error"], "batch_too_large");
    assert_eq!(
        body["message"],
        "the document names 10001 containers; send at most 10000 a request, all events together"
    );
    assert_eq!(app.count_events(), events_before);
}
