//! EPCIS 2.0 export: a scripted loop's events as a document that the official schema accepts,
//! with the CBV steps and dispositions and event ids that stay the same between exports.

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;
use crate::reports::script;

on_both_backends!(the_export_is_valid_epcis_with_stable_ids);

/// Errors of `doc` against GS1's EPCIS 2.0 JSON schema (tests/fixtures/epcis).
pub fn schema_errors(doc: &Value) -> Vec<String> {
    let text = include_str!("../fixtures/epcis/EPCIS-JSON-Schema.json");
    let schema: Value = serde_json::from_str(text).expect("the schema is JSON");
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles");
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

pub async fn export(app: &TestApp, query: &str) -> (StatusCode, Value) {
    let r = app.get(&format!("/api/v1/epcis/events?{query}")).await;
    (r.status, r.body)
}

async fn the_export_is_valid_epcis_with_stable_ids(backend: Backend) {
    let app = spawn_app(backend).await;
    let s = script(&app).await;
    let (status, doc) = export(&app, "from=2026-01-01&to=2026-04-01").await;
    assert_eq!(status, StatusCode::OK, "{doc:?}");
    let errors = schema_errors(&doc);
    assert!(errors.is_empty(), "{errors:#?}");
    // The schema does refuse what is not EPCIS.
    let mut broken = doc.clone();
    broken["epcisBody"]["eventList"][0]["action"] = serde_json::json!("MOVE");
    assert!(!schema_errors(&broken).is_empty());
    let events = doc["epcisBody"]["eventList"]
        .as_array()
        .expect("events")
        .clone();
    assert_eq!(
        events.len() as i64,
        app.count_events(),
        "one ObjectEvent per recorded event"
    );
    assert!(events
        .iter()
        .all(|e| e["type"] == "ObjectEvent" && e["eventTimeZoneOffset"] == "+00:00"));
    let context = &doc["@context"];
    assert_eq!(
        context[0],
        "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"
    );
    assert_eq!(context[1]["boucle"], "https://boucle.test/ns/epcis#");

    // The first four: the three jars and the bottle commissioned at the washer.
    let first = &events[0];
    assert_eq!(first["action"], "ADD");
    assert_eq!(first["bizStep"], "commissioning");
    assert_eq!(first["disposition"], "active");
    assert_eq!(first["eventTime"], "2026-01-10T00:00:00.000000Z");
    let site = |id: &str| format!("urn:uuid:{id}");
    assert_eq!(first["readPoint"]["id"], site(&s.l.washer));
    assert!(first["epcList"][0]
        .as_str()
        .is_some_and(|e| e.starts_with("https://boucle.test/c/ZW-")));
    // The shipment to the producer: from the washer, to the producer, in transit.
    let ship = &events[4];
    assert_eq!(
        (ship["bizStep"].as_str(), ship["disposition"].as_str()),
        (Some("shipping"), Some("in_transit"))
    );
    assert_eq!(ship["sourceList"][0]["source"], site(&s.l.washer));
    assert_eq!(
        ship["destinationList"][0]["destination"],
        site(&s.l.producer)
    );
    assert!(ship["boucle:shipment"].is_string());
    assert!(
        ship.get("bizLocation").is_none(),
        "on the road, at no business location"
    );
    let receive = &events[8];
    assert_eq!(receive["bizStep"], "receiving");
    assert_eq!(receive["sourceList"][0]["source"], site(&s.l.washer));
    assert_eq!(receive["bizLocation"]["id"], site(&s.l.producer));
    // Every step of the script, counted by what EPCIS calls it.
    let mut steps: HashMap<(String, String), usize> = HashMap::new();
    for e in &events {
        let key = (
            e["bizStep"].as_str().unwrap_or("").to_owned(),
            e["disposition"].as_str().unwrap_or("").to_owned(),
        );
        *steps.entry(key).or_default() += 1;
    }
    let count = |step: &str, disposition: &str| {
        steps
            .get(&(step.to_owned(), disposition.to_owned()))
            .copied()
            .unwrap_or(0)
    };
    // Filled: j1, j2 and b1 on 15 January, j1 again on 5 February.
    assert_eq!(count("boucle:filling", "boucle:filled"), 4);
    // Sold: j1 and j2 on 20 January, j1 again on 7 February; returned: j1 twice.
    assert_eq!(count("retail_selling", "retail_sold"), 3);
    assert_eq!(count("collecting", "returned"), 2);
    assert_eq!(count("boucle:washing", "in_progress"), 1);
    assert_eq!(count("boucle:washing", "available"), 1);
    assert_eq!(count("destroying", "destroyed"), 1);
    assert_eq!(count("decommissioning", "boucle:lost"), 1);
    // The sites named, with their names, as master data.
    let elements = doc["epcisHeader"]["epcisMasterData"]["vocabularyList"][0]
        ["vocabularyElementList"]
        .as_array()
        .expect("sites");
    let washer = elements
        .iter()
        .find(|e| e["id"] == site(&s.l.washer))
        .expect("the washer");
    assert_eq!(washer["attributes"][0]["attribute"], "Laverie Uzaje");

    // The same ids in a second export; a shop's export holds only what happened there or was
    // bound for it.
    let (_, again) = export(&app, "from=2026-01-01&to=2026-04-01").await;
    let ids = |d: &Value| {
        d["epcisBody"]["eventList"]
            .as_array()
            .map(|l| l.iter().map(|e| e["eventID"].clone()).collect::<Vec<_>>())
    };
    assert_eq!(ids(&doc), ids(&again));
    let (_, shop) = export(
        &app,
        &format!("from=2026-01-01&to=2026-04-01&site_id={}", s.l.shop),
    )
    .await;
    let shop_events = shop["epcisBody"]["eventList"].as_array().expect("events");
    assert!(!shop_events.is_empty());
    assert!(
        shop_events
            .iter()
            .all(|e| e["readPoint"]["id"] == site(&s.l.shop)
                || e["destinationList"][0]["destination"] == site(&s.l.shop)),
        "{shop_events:#?}"
    );
    assert!(schema_errors(&shop).is_empty());

    let (status, body) = export(&app, "from=2026-04-01&to=2026-01-01").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        "from (2026-04-01) must be before to (2026-01-01); to is excluded"
    );
}
