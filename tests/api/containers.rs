use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{small_loop, spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    commissioned_containers_are_clean_at_their_site,
    bad_commissions_change_nothing,
    ten_thousand_in_one_request,
    a_code_is_found_however_it_is_typed,
    the_qr_code_holds_the_container_url
);

async fn commissioned_containers_are_clean_at_their_site(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    let r = app.post("/api/v1/containers", json!({"type_id": l.jar, "site_id": l.washer, "count": 3, "at": "2026-01-05T08:00:00Z"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let containers = r.body["containers"].as_array().expect("list");
    assert_eq!(containers.len(), 3);
    for c in containers {
        let code = c["code"].as_str().expect("code");
        assert!(code.starts_with("ZW-") && code.len() == 12, "{code}");
        assert_eq!(c["url"], format!("https://boucle.test/c/{code}"));
        assert_eq!(
            (
                c["state"].as_str(),
                c["condition"].as_str(),
                c["uses"].as_i64()
            ),
            (Some("at_site"), Some("clean"), Some(0))
        );
        assert_eq!(c["site_id"], l.washer.as_str());
        assert_eq!(c["type_id"], l.jar.as_str());
        assert!(
            c["retired_reason"].is_null() && c["shipment_id"].is_null() && c["batch_id"].is_null()
        );
    }
    let code = containers[0]["code"].as_str().expect("code");
    let events = app
        .get(&format!("/api/v1/containers/{code}/events"))
        .await
        .body;
    assert_eq!(events.as_array().map(Vec::len), Some(1));
    assert_eq!(
        (events[0]["action"].as_str(), events[0]["at"].as_str()),
        (Some("commission"), Some("2026-01-05T08:00:00Z"))
    );
    let stock = app
        .get(&format!("/api/v1/stock?site_id={}", l.washer))
        .await
        .body;
    assert_eq!(stock[0]["clean"], 3);
}

async fn bad_commissions_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    let r = app
        .post(
            "/api/v1/containers",
            json!({"type_id": l.jar, "site_id": l.washer, "count": 10_001}),
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::UNPROCESSABLE_ENTITY, "batch_too_large")
    );
    assert_eq!(r.message(), "count must be from 1 to 10000, not 10001");
    let r = app
        .post(
            "/api/v1/containers",
            json!({"type_id": l.jar, "site_id": l.washer, "count": 0}),
        )
        .await;
    assert_eq!(r.error(), "invalid_field");
    let r = app
        .post(
            "/api/v1/containers",
            json!({"type_id": "nope", "site_id": l.washer, "count": 2}),
        )
        .await;
    assert_eq!(r.error(), "unknown_type");
    let r = app
        .post(
            "/api/v1/containers",
            json!({"type_id": l.jar, "site_id": "nope", "count": 2}),
        )
        .await;
    assert_eq!(r.error(), "unknown_site");
    let r = app.post("/api/v1/containers", json!({"type_id": l.jar, "site_id": l.washer, "count": 2, "at": "2099-01-01T00:00:00Z"})).await;
    assert_eq!(r.error(), "future_time");
    let r = app
        .post(
            "/api/v1/containers",
            json!({"type_id": l.jar, "site_id": l.washer, "count": 2, "at": "tomorrow"}),
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::BAD_REQUEST, "invalid_field")
    );
    assert_eq!(app.count_events(), 0);
    assert_eq!(app.get("/api/v1/stock").await.body, json!([]));
}

async fn ten_thousand_in_one_request(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    let codes = app
        .commission(&l.jar, &l.washer, 10_000, "2026-01-05T08:00:00Z")
        .await;
    let unique: HashSet<&String> = codes.iter().collect();
    assert_eq!(unique.len(), 10_000);
    assert_eq!(app.count_events(), 10_000);
    let more = app
        .commission(&l.jar, &l.washer, 2, "2026-01-05T08:00:00Z")
        .await;
    assert!(
        more.iter().all(|c| !unique.contains(c)),
        "new serials follow the old ones"
    );
    let stock = app.get("/api/v1/stock").await.body;
    assert_eq!(stock[0]["clean"], 10_002);
}

async fn a_code_is_found_however_it_is_typed(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    let code = app
        .commission(&l.jar, &l.shop, 1, "2026-01-05T08:00:00Z")
        .await
        .remove(0);
    let body = code.trim_start_matches("ZW-").replace('-', "");
    for typed in [
        code.to_lowercase(),
        body.clone(),
        format!("https%3A%2F%2Fboucle.test%2Fc%2F{code}"),
    ] {
        let r = app.get(&format!("/api/v1/containers/{typed}")).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (StatusCode::OK, Some(code.as_str())),
            "{typed}"
        );
    }
    // One wrong character is caught by the check character.
    let mut chars: Vec<char> = body.chars().collect();
    chars[2] = if chars[2] == '7' { '8' } else { '7' };
    let typo: String = chars.into_iter().collect();
    let r = app.get(&format!("/api/v1/containers/{typo}")).await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::BAD_REQUEST, "invalid_code")
    );
    assert!(
        r.message().ends_with(
            "the check character does not match: a character was misread or two were swapped"
        ),
        "{}",
        r.message()
    );
    let r = app.get("/api/v1/containers/ZW-0000-0000").await;
    assert_eq!(
        (r.status, r.message()),
        (
            StatusCode::NOT_FOUND,
            "no container has the code ZW-0000-0000; check the label"
        )
    );
}

async fn the_qr_code_holds_the_container_url(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    let code = app
        .commission(&l.jar, &l.shop, 1, "2026-01-05T08:00:00Z")
        .await
        .remove(0);
    assert_eq!(
        qr_content(&app, &code).await,
        format!("https://boucle.test/c/{code}")
    );
    let svg = app
        .client
        .get(format!("{}/api/v1/containers/{code}/qr.svg", app.address))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("sent");
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert!(svg.text().await.expect("text").contains("<svg"));
}

/// What the QR code of a container says, read back from its PNG.
pub async fn qr_content(app: &TestApp, code: &str) -> String {
    let png = app
        .client
        .get(format!("{}/api/v1/containers/{code}/qr.png", app.address))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("sent");
    assert_eq!(png.headers()["content-type"], "image/png");
    let bytes = png.bytes().await.expect("bytes");
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes.to_vec()));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).expect("frame");
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, content) = grids[0].decode().expect("decodes");
    content
}
