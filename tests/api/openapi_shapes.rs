//! Every answer of a scripted loop, success or refusal, has a status the document lists for
//! its route and a body its schema accepts, without a field the schema does not declare: a
//! client generated from the document reads what the service says.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{small_loop, spawn_app, Backend, PASSWORD};
use crate::on_both_backends;
use crate::openapi::document;
use crate::openapi_check::Checker;

on_both_backends!(every_answer_matches_the_document);

/// Ships `codes` and receives them, as the coordinator; returns the shipment's id.
async fn ship(c: &mut Checker<'_>, codes: &[String], from: &str, to: &str, day: u32) -> String {
    let body = json!({"from_site_id": from, "to_site_id": to, "codes": codes, "departed_at": format!("2026-01-{day:02}T08:00:00Z"), "vehicle": "van"});
    let s = c.post("/api/v1/shipments", body).await;
    let id = s["id"].as_str().expect("shipment").to_owned();
    let at = json!({"at": format!("2026-01-{day:02}T10:00:00Z")});
    c.post(&format!("/api/v1/shipments/{id}/receive"), at).await;
    id
}

/// Scans every code with `action` at `site`.
async fn scan(c: &mut Checker<'_>, codes: &[String], action: &str, site: &str, day: u32) -> Value {
    let at = format!("2026-01-{day:02}T12:00:00Z");
    let scans: Vec<Value> = codes
        .iter()
        .map(|k| json!({"code": k, "action": action, "site_id": site, "at": at}))
        .collect();
    c.post("/api/v1/scans", json!({"scans": scans})).await
}

async fn every_answer_matches_the_document(backend: Backend) {
    let app = spawn_app(backend).await;
    let doc = document(&app).await;
    let mut c = Checker {
        app: &app,
        doc,
        seen: BTreeSet::new(),
    };
    let l = small_loop(&app).await;

    // Open routes, and tokens.
    c.call(Method::GET, "/api/v1/health", None, None).await;
    c.call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    let sign_in = |password: &str| json!({"email": "coord@loop.test", "password": password, "name": "checker"});
    let token = c
        .call(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(sign_in(PASSWORD)),
        )
        .await
        .body;
    let token = token["token"].as_str().expect("token").to_owned();
    let wrong = c.call(
        Method::POST,
        "/api/v1/auth/token",
        None,
        Some(sign_in("wrong")),
    );
    assert_eq!(wrong.await.status, 401);
    let revoked = c.call(Method::DELETE, "/api/v1/auth/token", Some(&token), None);
    assert_eq!(revoked.await.status, 204);
    c.call(Method::GET, "/api/v1/sites", Some(&token), None)
        .await;

    // The catalog, with refusals.
    let site = c.post("/api/v1/sites", json!({"name": "Épicerie Vrac", "kind": "shop", "lat": 48.1, "lon": -1.6, "address": "1 rue de Paris", "email": "vrac@loop.test"})).await;
    let castle = json!({"name": "x", "kind": "castle", "lat": 0, "lon": 0});
    let refusal = c.refused(Method::POST, "/api/v1/sites", Some(castle)).await;
    assert_eq!(refusal, (422, "invalid_field".into()));
    let refusal = c
        .refused(Method::POST, "/api/v1/sites", Some(json!({"name": 1})))
        .await;
    assert_eq!(refusal, (400, "invalid_body".into()));
    c.get("/api/v1/sites").await;
    c.get(&format!(
        "/api/v1/sites/{}",
        site["id"].as_str().expect("id")
    ))
    .await;
    let refusal = c.refused(Method::GET, "/api/v1/sites/nowhere", None).await;
    assert_eq!(refusal, (404, "not_found".into()));
    c.put(
        "/api/v1/routes",
        json!({"from_site_id": l.washer, "to_site_id": l.producer, "distance_km": 9.5}),
    )
    .await;
    c.get("/api/v1/routes").await;
    c.post("/api/v1/container-types", json!({"name": "Bouteille", "material": "glass", "tare_mass_g": 400, "single_use_mass_g": 40})).await;
    c.get("/api/v1/container-types").await;

    // A round of the loop.
    let made = c.post("/api/v1/containers", json!({"type_id": l.jar, "site_id": l.washer, "count": 3, "at": "2026-01-10T00:00:00Z"})).await;
    let codes: Vec<String> = made["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .map(|k| k["code"].as_str().expect("code").to_owned())
        .collect();
    let code = codes[0].clone();
    for path in ["", "/qr.svg", "/qr.png"] {
        c.get(&format!("/api/v1/containers/{code}{path}")).await;
    }
    let refusal = c
        .refused(Method::GET, "/api/v1/containers/not-a-code", None)
        .await;
    assert_eq!(refusal, (400, "invalid_code".into()));
    let id = ship(&mut c, &codes, &l.washer, &l.producer, 12).await;
    c.get(&format!("/api/v1/shipments/{id}")).await;
    let unknown = ["ZW-9999-9999".to_owned()];
    let r = scan(
        &mut c,
        &[&codes[..], &unknown[..]].concat(),
        "fill",
        &l.producer,
        13,
    )
    .await;
    assert_eq!(r["results"][3]["status"], "rejected", "{r}");
    ship(&mut c, &codes, &l.producer, &l.shop, 14).await;
    scan(&mut c, &codes, "sell", &l.shop, 15).await;
    let returned = scan(&mut c, &codes, "return", &l.shop, 20).await;
    // A return scanned by mistake is undone, then scanned again.
    let id = returned["results"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let undone = c.post(&format!("/api/v1/scans/{id}/undo"), json!({})).await;
    assert_eq!(undone["status"], "recorded", "{undone}");
    let refusal = c
        .refused(Method::POST, "/api/v1/scans/none/undo", None)
        .await;
    assert_eq!(refusal, (404, "not_found".into()));
    scan(&mut c, &codes[..1], "return", &l.shop, 20).await;
    ship(&mut c, &codes, &l.shop, &l.washer, 21).await;
    let b = c.post("/api/v1/wash-batches", json!({"site_id": l.washer, "codes": codes, "started_at": "2026-01-22T08:00:00Z", "program": "glass-60", "temperature_c": 60})).await;
    let id = b["id"].as_str().expect("batch").to_owned();
    c.post(&format!("/api/v1/wash-batches/{id}/complete"), json!({"finished_at": "2026-01-22T09:00:00Z", "rejected": [{"code": codes[2], "reason": "broken"}], "water_l": 12.5})).await;
    c.get(&format!("/api/v1/wash-batches/{id}")).await;
    let refusal = c
        .refused(Method::GET, "/api/v1/wash-batches/none", None)
        .await;
    assert_eq!(refusal, (404, "not_found".into()));
    c.get(&format!("/api/v1/containers/{code}/events")).await;
    c.get("/api/v1/stock").await;

    // Figures.
    c.post("/api/v1/emission-factors", json!({"kind": "transport", "subject": "van", "value": 0.25, "source": "ADEME Base Carbone"})).await;
    c.get("/api/v1/emission-factors").await;
    let period = "from=2026-01-01&to=2026-03-01";
    for route in ["loop", "loop/monthly", "flows", "returns"] {
        let r = c.get(&format!("/api/v1/reports/{route}?{period}")).await;
        assert!(r.is_object() || r.is_array(), "{route}: {r}");
    }
    let csv = c
        .get(&format!("/api/v1/reports/loop?{period}&format=csv"))
        .await;
    assert!(
        csv.as_str()
            .expect("csv")
            .starts_with("from,to,site_id,type_id,uses,"),
        "{csv}"
    );
    let bad_date = "/api/v1/reports/loop?from=2026-13-01&to=2026-03-01";
    let refusal = c.refused(Method::GET, bad_date, None).await;
    assert_eq!(refusal, (400, "invalid_query".into()));

    // Interoperability.
    let epcis = c.get(&format!("/api/v1/epcis/events?{period}")).await;
    let r = c.post("/api/v1/epcis/capture", epcis).await;
    let results = r["results"].as_array().expect("results");
    assert!(results.iter().all(|e| e["status"] == "duplicate"), "{r}");
    c.get(&format!("/api/v1/export/events?{period}")).await;
    let refusal = c.refused(Method::GET, "/api/v1/export/people", None).await;
    assert_eq!(refusal, (404, "not_found".into()));
    let sites = |kind: &str| {
        Value::String(format!(
            "id,name,kind,lat,lon,address,email\n,Halle,{kind},48.2,-1.7,,\n"
        ))
    };
    c.post("/api/v1/import/sites", sites("hub")).await;
    let refusal = c
        .refused(Method::POST, "/api/v1/import/sites", Some(sites("moon")))
        .await;
    assert_eq!(refusal, (422, "invalid_row".into()));

    // Alerts and mail.
    c.put(
        "/api/v1/alerts/low-stock",
        json!({"site_id": l.producer, "type_id": l.jar, "min_clean": 10}),
    )
    .await;
    c.put(
        "/api/v1/alerts/collection",
        json!({"site_id": l.shop, "min_dirty": 2}),
    )
    .await;
    let alerts = c.get("/api/v1/alerts").await;
    assert_eq!(alerts["in_force"][0]["kind"], "low_stock", "{alerts}");
    c.get("/api/v1/me/notifications").await;
    c.put(
        "/api/v1/me/notifications",
        json!({"language": "en", "mails": {"digest_weekly": false}}),
    )
    .await;
    c.get("/api/v1/outbox?status=queued").await;
    let audit = c.get("/api/v1/audit?action=token_created&limit=5").await;
    let tokens = audit.as_array().expect("a list");
    assert!((1..=5).contains(&tokens.len()), "{audit}");
    assert!(
        tokens.iter().all(|e| e["action"] == "token_created"),
        "{audit}"
    );
    let refusal = c
        .refused(Method::POST, "/api/v1/outbox/none/retry", None)
        .await;
    assert_eq!(refusal, (404, "not_found".into()));
    let no_gs1 = c.call(Method::GET, "/8003/00614141000418123", None, None);
    assert_eq!(no_gs1.await.status, 404);

    // A shop's user is refused what only coordinators do, and other sites' stock.
    let shop = app.user("shop", Some(&l.shop), "shop@loop.test");
    let body = json!({"type_id": l.jar, "site_id": l.shop, "count": 1});
    let commission = c.call(Method::POST, "/api/v1/containers", Some(&shop), Some(body));
    assert_eq!(commission.await.status, 403);
    let washer_stock = format!("/api/v1/stock?site_id={}", l.washer);
    let stock = c.call(Method::GET, &washer_stock, Some(&shop), None);
    assert_eq!(stock.await.status, 403);

    // Every route answered with a success its schema accepts.
    let succeeded: BTreeSet<(String, String)> = c
        .seen
        .iter()
        .filter(|(_, _, s)| *s < 400)
        .map(|(m, p, _)| (m.clone(), p.clone()))
        .collect();
    let routes: BTreeSet<(String, String)> = boucle::http::ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let left: Vec<_> = routes.difference(&succeeded).collect();
    // A mail is retried only once it has failed (tests/api/mail_delivery.rs).
    assert_eq!(
        left,
        [&("POST".to_owned(), "/api/v1/outbox/{id}/retry".to_owned())]
    );
}
