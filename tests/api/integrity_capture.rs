//! EPCIS capture keeps the rules of the routes: a receipt at another site than the
//! shipment's destination, wash events at another site than the batch's washer, an event
//! joining another site's shipment or batch, an unknown vehicle, an id that is no UUID; each
//! refused, and the record exactly as before.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::epcis_capture::{capture, document, event};
use crate::helpers::{small_loop, spawn_app, Backend};
use crate::integrity::{record_of, ship, spread};
use crate::on_both_backends;
use crate::reports::{receive, scan};

on_both_backends!(epcis_capture_keeps_the_rules_of_the_routes);

async fn epcis_capture_keeps_the_rules_of_the_routes(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    let j = spread(&app, &l).await;
    // The washer opens a batch of a jar brought back dirty.
    let dirty = app
        .commission(&l.jar, &l.producer, 1, "2026-11-02T08:00:00Z")
        .await;
    scan(&app, &dirty[0], "fill", &l.producer, "2026-11-02T09:00:00Z").await;
    scan(
        &app,
        &dirty[0],
        "return",
        &l.producer,
        "2026-11-02T10:00:00Z",
    )
    .await;
    let back = ship(
        &app,
        &l.producer,
        &l.washer,
        &[&dirty[0]],
        "2026-11-03T09:00:00Z",
    )
    .await;
    receive(&app, &back, "2026-11-03T11:00:00Z").await;
    let batch_id = "0192f0aa-0000-7000-8000-0000000000b1";
    let open = app.post("/api/v1/wash-batches", json!({"id": batch_id, "site_id": l.washer, "codes": [&dirty[0]], "started_at": "2026-11-06T08:00:00Z"})).await;
    assert_eq!(open.status, StatusCode::CREATED, "{:?}", open.body);
    let shop = app.user("shop", Some(&l.shop), "till@rennes.test");
    let producer = app.user("producer", Some(&l.producer), "stock@noyal.test");
    let mut all = j.clone();
    all.push(dirty[0].clone());
    let before = record_of(&app, &all).await;

    // Rennes receives, at its own site, the shipment on its way to Cesson.
    let on_way = app.container(&j[4]).await;
    let mut received = event(
        "urn:uuid:0192f0aa-0000-7000-8000-0000000000e1",
        &[&format!("https://boucle.test/c/{}", j[4])],
        "receiving",
        "in_progress",
        &l.shop,
        "2026-11-06T10:00:00Z",
    );
    received["boucle:shipment"] = on_way["shipment_id"].clone();
    let (status, body) = capture(&app, &shop, &document(vec![received])).await;
    assert_eq!(status, StatusCode::OK, "{body:?}");
    let result = &body["results"][0]["containers"][0];
    assert_eq!(result["error"]["error"], "invalid_transition", "{body:?}");
    assert_eq!(
        result["error"]["message"],
        format!("container {} is in transit from Laiterie Noyal to Biocoop Cesson; to receive it, it must be in transit on this shipment, bound for this site", j[4])
    );

    // The producer ends the washer's batch, at its own site: the jar washed, then broken.
    let mut events = Vec::new();
    for (n, (step, disposition)) in [("boucle:washing", "available"), ("inspecting", "damaged")]
        .iter()
        .enumerate()
    {
        let mut e = event(
            &format!("urn:uuid:0192f0aa-0000-7000-8000-0000000000f{n}"),
            &[&format!("https://boucle.test/c/{}", dirty[0])],
            step,
            disposition,
            &l.producer,
            "2026-11-06T10:00:00Z",
        );
        e["boucle:washBatch"] = json!(batch_id);
        events.push(e);
    }
    let (status, body) = capture(&app, &producer, &document(events)).await;
    assert_eq!(status, StatusCode::OK, "{body:?}");
    for r in body["results"].as_array().expect("results") {
        assert_eq!(r["status"], "rejected", "{body:?}");
        assert_eq!(
            (&r["error"]["error"], &r["error"]["message"]),
            (
                &json!("conflict"),
                &json!(format!(
                    "the id {batch_id} belongs to another wash batch; give each batch its own id"
                ))
            ),
            "{body:?}"
        );
    }
    assert_eq!(record_of(&app, &all).await, before, "nothing changed");
    // Another washer cannot put its own jar into that batch, nor a shop its own jar on
    // another shop's shipment; a vehicle no factor knows and an id that is no UUID are refused.
    let other_washer = app.site("Laverie de Brest", "washer", 48.4, -4.5).await;
    let brest = app.user("washer", Some(&other_washer), "ligne@brest.test");
    let mine = app
        .commission(&l.jar, &other_washer, 1, "2026-11-02T08:00:00Z")
        .await;
    all.push(mine[0].clone());
    let before = record_of(&app, &all).await;
    let mut join = event(
        "urn:uuid:0192f0aa-0000-7000-8000-0000000000f7",
        &[&format!("https://boucle.test/c/{}", mine[0])],
        "boucle:washing",
        "in_progress",
        &other_washer,
        "2026-11-06T10:00:00Z",
    );
    join["boucle:washBatch"] = json!(batch_id);
    let (_, body) = capture(&app, &brest, &document(vec![join])).await;
    assert_eq!(body["results"][0]["error"]["error"], "conflict", "{body:?}");
    let mut onto = event(
        "urn:uuid:0192f0aa-0000-7000-8000-0000000000f8",
        &[&format!("https://boucle.test/c/{}", j[5])],
        "shipping",
        "in_transit",
        &l.shop,
        "2026-11-06T10:00:00Z",
    );
    onto["boucle:shipment"] = on_way["shipment_id"].clone();
    onto["destinationList"] =
        json!([{"type": "location", "destination": format!("urn:uuid:{}", l.washer)}]);
    let mut odd = onto.clone();
    odd["eventID"] = json!("urn:uuid:0192f0aa-0000-7000-8000-0000000000f9");
    odd["boucle:shipment"] = json!("=HYPERLINK(\"x\")");
    let mut slow = onto.clone();
    slow["eventID"] = json!("urn:uuid:0192f0aa-0000-7000-8000-0000000000fa");
    slow["boucle:shipment"] = Value::Null;
    slow["boucle:vehicle"] = json!("x");
    let (_, body) = capture(&app, &shop, &document(vec![onto, odd, slow])).await;
    let codes: Vec<&Value> = body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| &r["error"]["error"])
        .collect();
    assert_eq!(
        codes,
        [
            &json!("conflict"),
            &json!("invalid_event"),
            &json!("invalid_field")
        ],
        "{body:?}"
    );
    assert_eq!(
        body["results"][2]["error"]["message"],
        "vehicle \"x\" is not known; give one of van, truck, car, cargo_bike, other"
    );
    assert_eq!(record_of(&app, &all).await, before, "nothing changed");
    let batch = app.get(&format!("/api/v1/wash-batches/{batch_id}")).await;
    assert_eq!(batch.body["finished_at"], Value::Null, "{:?}", batch.body);
}
