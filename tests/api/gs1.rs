//! GS1 identifiers: with a company prefix, containers have GRAIs, their QR codes hold GS1
//! Digital Link URIs that the service resolves, and every form of a GRAI is accepted as a code.

use reqwest::StatusCode;
use serde_json::json;

use crate::containers::qr_content;
use crate::helpers::{small_loop, spawn_app, spawn_app_with, Backend};
use crate::on_both_backends;

on_both_backends!(
    containers_get_grais_and_digital_links,
    without_a_prefix_a_grai_is_explained
);

async fn containers_get_grais_and_digital_links(backend: Backend) {
    let app = spawn_app_with(backend, &[("GS1_COMPANY_PREFIX", "0614141".into())]).await;
    let l = small_loop(&app).await;
    let r = app.post("/api/v1/container-types", json!({"name": "Bouteille 75 cl", "material": "glass", "tare_mass_g": 400.0, "single_use_mass_g": 40.0})).await;
    assert_eq!(r.body["asset_type"], 2, "the jar type, made first, is 1");
    let r = app
        .post(
            "/api/v1/containers",
            json!({"type_id": l.jar, "site_id": l.producer, "count": 1, "at": "2026-11-19T08:00:00Z"}),
        )
        .await;
    let jar = &r.body["containers"][0];
    let code = jar["code"].as_str().expect("code").to_owned();
    let body = code.trim_start_matches("ZW-").replace('-', "");
    // 0 + 0614141 + 00001 gives 0061414100001; weights 3,1,3... from the right sum to 48,
    // so the check digit is 2.
    let value = format!("00614141000012{body}");
    assert_eq!(jar["grai"], format!("(8003){value}"));
    let link = format!("https://boucle.test/8003/{value}");
    assert_eq!(jar["url"], link);
    assert_eq!(qr_content(&app, &code).await, link);

    // The Digital Link resolves to the container's page.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let r = client
        .get(format!("{}/8003/{value}", app.address))
        .send()
        .await
        .expect("sent");
    let status = r.status();
    assert_eq!(
        status,
        StatusCode::TEMPORARY_REDIRECT,
        "{:?}",
        r.text().await
    );
    assert_eq!(
        r.headers()["location"],
        format!("https://boucle.test/c/{code}")
    );

    // Each form of the GRAI is a code: the Digital Link as a hand scanner types it, the
    // element string, the raw data of a GS1 barcode.
    let fill = app
        .scan(
            &app.token,
            &link,
            "fill",
            &l.producer,
            "2026-11-20T08:00:00Z",
        )
        .await;
    assert_eq!(fill["status"], "recorded", "{fill:?}");
    assert_eq!(fill["code"], code.as_str());
    // In EPCIS, the container is its EPC URI.
    let (_, doc) = crate::epcis::export(&app, "from=2026-11-01&to=2026-12-01").await;
    assert_eq!(
        doc["epcisBody"]["eventList"][1]["epcList"][0],
        format!("urn:epc:id:grai:0614141.00001.{body}")
    );
    assert!(crate::epcis::schema_errors(&doc).is_empty());
    let r = app.get(&format!("/api/v1/containers/(8003){value}")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["condition"], "filled");
    let r = app.get(&format!("/api/v1/containers/]Q38003{value}")).await;
    assert_eq!(r.body["code"], code.as_str(), "{:?}", r.body);

    // A misread check digit, another company's GRAI, or a label of another type.
    let wrong = format!("00614141000019{body}");
    let r = app
        .scan(
            &app.token,
            &format!("(8003){wrong}"),
            "sell",
            &l.producer,
            "2026-11-20T09:00:00Z",
        )
        .await;
    assert_eq!(r["status"], "rejected");
    assert_eq!(r["error"]["error"], "invalid_code");
    assert_eq!(r["error"]["message"], format!("\"(8003){wrong}\" is not a container code: the GRAI's check digit is 9, it should be 2: a digit was misread"));
    let r = app.get("/api/v1/containers/(8003)03870585000552987").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.message(), "\"(8003)03870585000552987\" is not a container code: the GRAI is of company prefix 387058500055, not this loop's");
    // Asset type 2 (the bottle) with the jar's serial: 0061414100002 sums to 51, check 9.
    let r = app
        .get(&format!("/api/v1/containers/(8003)00614141000029{body}"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    assert_eq!(r.message(), format!("the GRAI names asset type 2, but container {code} is a Bocal 370 ml (asset type 1); the label does not belong to this container"));
}

async fn without_a_prefix_a_grai_is_explained(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    let code = app
        .commission(&l.jar, &l.producer, 1, "2026-11-20T08:00:00Z")
        .await
        .remove(0);
    let r = app.get(&format!("/api/v1/containers/{code}")).await;
    assert_eq!(r.body["grai"], serde_json::Value::Null);
    assert_eq!(r.body["url"], format!("https://boucle.test/c/{code}"));
    let r = app.get("/api/v1/containers/(8003)03870585000552987").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.message(), "\"(8003)03870585000552987\" is not a container code: it is a GS1 GRAI, but this loop has no GS1 company prefix (GS1_COMPANY_PREFIX)");
    let r = app
        .send(reqwest::Method::GET, "/8003/03870585000552987", None, None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
