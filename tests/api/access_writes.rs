//! Every kind of write a site user can send, generated from the service's own lists: each
//! scannable action of the API's document, each row of the EPCIS table capture reads, each
//! CSV import. Each is aimed, from the user's own site, at the other part of the loop: its
//! containers in every state, its shipment, its wash batch. Every one is refused, and nothing
//! of the other part changes.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::access_parts::{snapshot, two_parts};
use crate::helpers::Backend;
use crate::on_both_backends;
use crate::openapi::document;

on_both_backends!(no_write_of_any_kind_reaches_another_site);

fn event(id: usize, code: &str, site: &str, meaning: &boucle::interop::epcis::Meaning) -> Value {
    json!({
        "type": "ObjectEvent", "eventID": format!("urn:uuid:0192f0aa-0000-7000-8000-{id:012}"),
        "eventTime": "2026-11-20T10:00:00Z", "eventTimeZoneOffset": "+01:00",
        "epcList": [format!("https://boucle.test/c/{code}")], "action": meaning.action,
        "bizStep": meaning.biz_step, "disposition": meaning.disposition,
        "readPoint": {"id": format!("urn:uuid:{site}")}, "bizLocation": {"id": format!("urn:uuid:{site}")}
    })
}

async fn no_write_of_any_kind_reaches_another_site(backend: Backend) {
    let t = two_parts(backend).await;
    let o = &t.other;
    let before = snapshot(&t).await;
    let doc = document(&t.app).await;
    let actions: Vec<String> = doc["components"]["schemas"]["Scan"]["properties"]["action"]["enum"]
        .as_array()
        .expect("the scannable actions")
        .iter()
        .map(|a| a.as_str().expect("an action").to_owned())
        .collect();
    assert!(actions.len() >= 6, "{actions:?}");
    // The other part's containers: washing, in transit to its shop, clean at its producer.
    let targets = [&o.codes[0], &o.codes[2], &o.codes[4]];
    let sites = [&t.mine.shop, &t.mine.washer, &t.mine.producer];
    let mut wrong = Vec::new();
    let mut tried = 0;
    let mut id = 0;
    for ((role, _, token), own) in t.users.iter().zip(sites) {
        // Every scannable action, on each of them, at the user's own site.
        let scans: Vec<Value> = actions
            .iter()
            .flat_map(|a| {
                targets
                    .iter()
                    .map(move |c| json!({"code": c, "action": a, "site_id": own}))
            })
            .collect();
        let r = t
            .app
            .post_as(token, "/api/v1/scans", json!({"scans": scans}))
            .await;
        tried += scans.len();
        for (s, result) in scans
            .iter()
            .zip(r.body["results"].as_array().into_iter().flatten())
        {
            if result["status"] != "rejected" {
                wrong.push(format!("{role} scan {s}: {result}"));
            }
        }
        // Every row of the EPCIS table, naming the other part's shipment, batch and site.
        for (_, _, meaning) in boucle::interop::epcis::TABLE {
            for code in targets {
                id += 1;
                let mut e = event(id, code, own, meaning);
                e["boucle:washBatch"] = json!(o.batch);
                e["boucle:shipment"] = json!(o.in_transit);
                e["destinationList"] =
                    json!([{"type": "location", "destination": format!("urn:uuid:{}", o.shop)}]);
                let d = json!({"@context": [boucle::interop::epcis::EPCIS_CONTEXT], "type": "EPCISDocument",
                    "schemaVersion": "2.0", "creationDate": "2026-11-21T18:00:00Z", "epcisBody": {"eventList": [e]}});
                let r = t
                    .app
                    .request(Method::POST, "/api/v1/epcis/capture", Some(token), Some(d))
                    .send()
                    .await
                    .expect("sent");
                let status = r.status();
                let body: Value = r.json().await.expect("json");
                tried += 1;
                let result = &body["results"][0];
                if status != StatusCode::OK || result["status"] != "rejected" {
                    wrong.push(format!(
                        "{role} EPCIS {} {} on {code}: {status} {body}",
                        meaning.biz_step, meaning.disposition
                    ));
                }
            }
        }
        // Every CSV import is the coordinator's.
        for what in ["sites", "types", "containers"] {
            assert!(
                boucle::interop::csv::Import::parse(what).is_some(),
                "{what}"
            );
            let r = t
                .app
                .client
                .post(format!("{}/api/v1/import/{what}", t.app.address))
                .bearer_auth(token)
                .header("Content-Type", "text/csv")
                .body(format!("type_id,site_id\n{},{}\n", t.mine.jar, o.producer))
                .send()
                .await
                .expect("sent");
            tried += 1;
            if r.status() != StatusCode::FORBIDDEN {
                wrong.push(format!("{role} import {what}: {}", r.status()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {tried} writes went through:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(
        snapshot(&t).await,
        before,
        "nothing of the other part changed"
    );
}
