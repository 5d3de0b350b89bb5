//! Every route of the API, with every role bound to a site, aimed at another part of the loop:
//! its sites, containers, scans, shipments, wash batch, figures, alerts and users. Each is
//! refused, or answered with nothing of that part, and nothing of it changes. The routes come
//! from the served OpenAPI document, so a route added without a case here fails the test.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::access_parts::{all_right, judge, snapshot, two_parts, Expect, Two};
use crate::helpers::{Backend, PASSWORD};
use crate::on_both_backends;
use crate::openapi::document;

on_both_backends!(no_role_reaches_another_sites_data_through_the_api);

/// The cases of one site user against the other part, one or more per operation.
#[rustfmt::skip]
fn cases(t: &Two, email: &str) -> Vec<(&'static str, Method, String, Option<Value>, Expect)> {
    use Expect::*;
    use Method as M;
    let o = &t.other;
    let (code, scan) = (&o.codes[4], &o.scans[0]);
    let on = |p: &str| format!("/api/v1{p}");
    let period = "from=2026-11-01&to=2026-12-01";
    let site_q = |p: &str, site: &str| format!("/api/v1{p}?{period}&site_id={site}");
    let all = |p: &str| format!("/api/v1{p}?{period}");
    let codes = json!(&o.codes[4..6]);
    let epcis = json!({"@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-21T18:00:00Z",
        "epcisBody": {"eventList": [{"type": "ObjectEvent", "eventID": "urn:uuid:0192f0aa-0000-7000-8000-0000000000aa",
            "eventTime": "2026-11-20T10:00:00Z", "eventTimeZoneOffset": "+01:00",
            "epcList": [format!("https://boucle.test/c/{code}")], "action": "OBSERVE",
            "bizStep": "commissioning", "disposition": "active",
            "readPoint": {"id": format!("urn:uuid:{}", o.producer)},
            "bizLocation": {"id": format!("urn:uuid:{}", o.producer)}}]}});
    vec![
        ("health", M::GET, on("/health"), None, Own),
        ("openapi", M::GET, on("/openapi.json"), None, Catalog),
        // Another part's account with this user's password: no token.
        ("createToken", M::POST, on("/auth/token"), Some(json!({"email": o.emails[2], "password": "not theirs", "name": "x"})), Refused),
        ("createToken", M::POST, on("/auth/token"), Some(json!({"email": email, "password": PASSWORD, "name": "spare"})), Own),
        ("listSites", M::GET, on("/sites"), None, Catalog),
        ("createSite", M::POST, on("/sites"), Some(json!({"name": "Faux", "kind": "shop", "lat": 48.0, "lon": -1.0})), Refused),
        ("getSite", M::GET, on(&format!("/sites/{}", o.producer)), None, Catalog),
        ("listRoutes", M::GET, on("/routes"), None, Catalog),
        ("putRoute", M::PUT, on("/routes"), Some(json!({"from_site_id": o.producer, "to_site_id": o.shop, "distance_km": 1.0})), Refused),
        ("listContainerTypes", M::GET, on("/container-types"), None, Catalog),
        ("createContainerType", M::POST, on("/container-types"), Some(json!({"name": "x", "material": "glass", "tare_mass_g": 1.0, "single_use_mass_g": 1.0})), Refused),
        ("commissionContainers", M::POST, on("/containers"), Some(json!({"type_id": t.mine.jar, "site_id": o.producer, "count": 1})), Refused),
        ("getContainer", M::GET, on(&format!("/containers/{code}")), None, Catalog),
        ("listContainerEvents", M::GET, on(&format!("/containers/{}/events", o.codes[0])), None, Own),
        ("getContainerQrSvg", M::GET, on(&format!("/containers/{code}/qr.svg")), None, Catalog),
        ("getContainerQrPng", M::GET, on(&format!("/containers/{code}/qr.png")), None, Catalog),
        ("recordScans", M::POST, on("/scans"), Some(json!({"scans": [{"code": code, "action": "fill", "site_id": o.producer}]})), Rejected),
        ("undoScan", M::POST, on(&format!("/scans/{scan}/undo")), Some(json!({})), Refused),
        ("createShipment", M::POST, on("/shipments"), Some(json!({"from_site_id": o.producer, "to_site_id": o.shop, "codes": codes})), Refused),
        ("getShipment", M::GET, on(&format!("/shipments/{}", o.received)), None, Refused),
        ("receiveShipment", M::POST, on(&format!("/shipments/{}/receive", o.in_transit)), Some(json!({})), Refused),
        ("openWashBatch", M::POST, on("/wash-batches"), Some(json!({"site_id": o.washer, "codes": codes})), Refused),
        ("getWashBatch", M::GET, on(&format!("/wash-batches/{}", o.batch)), None, Refused),
        ("completeWashBatch", M::POST, on(&format!("/wash-batches/{}/complete", o.batch)), Some(json!({"rejected": []})), Refused),
        ("getStock", M::GET, site_q("/stock", &o.producer), None, Refused),
        ("getStock", M::GET, on("/stock"), None, Own),
        ("getLoopReport", M::GET, site_q("/reports/loop", &o.shop), None, Refused),
        ("getLoopReport", M::GET, all("/reports/loop"), None, Own),
        ("getMonthlyReports", M::GET, site_q("/reports/loop/monthly", &o.shop), None, Refused),
        ("getMonthlyReports", M::GET, all("/reports/loop/monthly"), None, Own),
        ("getFlows", M::GET, site_q("/reports/flows", &o.washer), None, Refused),
        ("getFlows", M::GET, all("/reports/flows"), None, Own),
        ("getReturnCurves", M::GET, site_q("/reports/returns", &o.shop), None, Refused),
        ("getReturnCurves", M::GET, all("/reports/returns"), None, Own),
        ("listEmissionFactors", M::GET, on("/emission-factors"), None, Catalog),
        ("addEmissionFactor", M::POST, on("/emission-factors"), Some(json!({"kind": "material", "subject": "glass", "value": 1.0, "source": "x"})), Refused),
        ("exportEpcisEvents", M::GET, site_q("/epcis/events", &o.producer), None, Refused),
        ("exportEpcisEvents", M::GET, all("/epcis/events"), None, Own),
        ("captureEpcisEvents", M::POST, on("/epcis/capture"), Some(epcis), Rejected),
        ("importCsv", M::POST, on("/import/sites"), Some(json!("name,kind,lat,lon\nFaux,shop,48,-1\n")), Refused),
        ("exportCsv", M::GET, on("/export/containers"), None, Refused),
        ("listAlerts", M::GET, on("/alerts"), None, Own),
        ("putLowStockThreshold", M::PUT, on("/alerts/low-stock"), Some(json!({"site_id": o.producer, "type_id": t.mine.jar, "min_clean": 1})), Refused),
        ("putCollectionThresholds", M::PUT, on("/alerts/collection"), Some(json!({"site_id": o.shop, "min_dirty": 1})), Refused),
        ("getMyNotifications", M::GET, on("/me/notifications"), None, Own),
        ("putMyNotifications", M::PUT, on("/me/notifications"), Some(json!({"language": "fr"})), Own),
        ("listOutbox", M::GET, on("/outbox"), None, Refused),
        ("listAudit", M::GET, on("/audit"), None, Refused),
        ("retryMail", M::POST, on("/outbox/0192f0aa-0000-7000-8000-0000000000bb/retry"), Some(json!({})), Refused),
        ("resolveDigitalLink", M::GET, "/8003/06141410000123".to_owned(), None, Open),
        // The page asks to confirm; the secret is checked when the form is sent.
        ("unsubscribePage", M::GET, "/unsubscribe/not-a-secret".to_owned(), None, Open),
        ("unsubscribe", M::POST, "/unsubscribe/not-a-secret".to_owned(), None, Refused),
        ("revokeToken", M::DELETE, on("/auth/token"), None, Own),
    ]
}

async fn no_role_reaches_another_sites_data_through_the_api(backend: Backend) {
    let t = two_parts(backend).await;
    let doc = document(&t.app).await;
    let before = snapshot(&t).await;
    let mut wrong = Vec::new();
    let mut covered = BTreeSet::new();
    let mut tried = 0;
    for (role, email, token) in &t.users {
        for (op, method, path, body, expect) in cases(&t, email) {
            covered.insert(op);
            // Revoking signs with a spare token, so that the user's own goes on working.
            let token = if op == "revokeToken" {
                let spare = json!({"email": email, "password": PASSWORD, "name": "spare"});
                let r = t
                    .app
                    .send(Method::POST, "/api/v1/auth/token", None, Some(spare))
                    .await;
                r.body["token"].as_str().expect("a spare token").to_owned()
            } else {
                token.clone()
            };
            let sent = format!(
                "{path} {}",
                body.as_ref().map(Value::to_string).unwrap_or_default()
            );
            let req = t.app.request(method.clone(), &path, Some(&token), body);
            let r = req.send().await.expect("request sent");
            let status = r.status();
            let text = r.text().await.expect("body");
            tried += 1;
            if let Some(w) = judge(
                &t,
                &format!("{role} {op} {method} {path}"),
                &sent,
                expect,
                status,
                &text,
            ) {
                wrong.push(w);
            }
        }
    }
    all_right(&wrong, tried);

    // Every operation of the document has its case.
    let ops: BTreeSet<&str> = doc["paths"]
        .as_object()
        .expect("paths")
        .values()
        .flat_map(|p| p.as_object().expect("operations").values())
        .map(|o| o["operationId"].as_str().expect("operationId"))
        .collect();
    let missing: Vec<_> = ops.difference(&covered).collect();
    assert!(missing.is_empty(), "operations without a case: {missing:?}");

    // Without a token, every route but the open ones says 401.
    for (op, method, path, _, expect) in cases(&t, "x") {
        let r = t.app.send(method.clone(), &path, None, None).await;
        let open = matches!(
            op,
            "health" | "openapi" | "createToken" | "resolveDigitalLink"
        ) || path.starts_with("/unsubscribe");
        if !open {
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{op} {method} {path} without a token ({expect:?}): {:?}",
                r.body
            );
        }
    }

    // Nothing of the other part changed, and the first part's users still sign requests.
    assert_eq!(snapshot(&t).await, before);
    // What the scoped answers do show: each user's own site, the producer's own alert.
    for ((role, _, token), site) in
        t.users
            .iter()
            .zip([&t.mine.shop, &t.mine.washer, &t.mine.producer])
    {
        let stock = t.app.get_as(token, "/api/v1/stock").await;
        assert_eq!(stock.status, StatusCode::OK, "{role}");
        let sites: BTreeSet<&str> = stock
            .body
            .as_array()
            .expect("rows")
            .iter()
            .filter_map(|r| r["site_id"].as_str())
            .collect();
        assert_eq!(
            sites,
            BTreeSet::from([site.as_str()]),
            "{role}: {:?}",
            stock.body
        );
        let alerts = t.app.get_as(token, "/api/v1/alerts").await.body;
        let at: Vec<&str> = alerts["in_force"]
            .as_array()
            .expect("alerts")
            .iter()
            .filter_map(|a| a["site_id"].as_str())
            .collect();
        let expected: Vec<&str> = if *role == "producer" {
            vec![site.as_str()]
        } else {
            vec![]
        };
        assert_eq!(at, expected, "{role}: {alerts}");
    }
}
