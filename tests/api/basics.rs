use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{spawn_app, Backend, PASSWORD};
use crate::on_both_backends;

on_both_backends!(
    health_names_the_database,
    every_route_needs_a_token,
    a_password_gives_a_token_that_can_be_revoked,
    sites_are_checked_before_they_are_saved,
    unknown_paths_answer_json
);

async fn health_names_the_database(backend: Backend) {
    let app = spawn_app(backend).await;
    let r = app
        .send(reqwest::Method::GET, "/api/v1/health", None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let db = if backend == Backend::Sqlite {
        "sqlite"
    } else {
        "postgresql"
    };
    assert_eq!(r.body, json!({"status": "ok", "database": db}));
}

async fn every_route_needs_a_token(backend: Backend) {
    let app = spawn_app(backend).await;
    for (method, path) in boucle::http::ROUTES {
        if boucle::http::auth::is_public(method, path) {
            continue;
        }
        let path = path.replace("{id}", "x").replace("{code}", "ZW-0000-0000");
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let r = app.send(method.clone(), &path, None, Some(json!({}))).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(r.error(), "unauthorized", "{method} {path}");
        let r = app
            .send(
                method.clone(),
                &path,
                Some("bcl_not-a-token"),
                Some(json!({})),
            )
            .await;
        assert_eq!(
            (r.status, r.error()),
            (StatusCode::UNAUTHORIZED, "unauthorized"),
            "{method} {path}"
        );
    }
}

async fn a_password_gives_a_token_that_can_be_revoked(backend: Backend) {
    let app = spawn_app(backend).await;
    let wrong = app
        .send(
            reqwest::Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"email": "coord@loop.test", "password": "nope", "name": "till"})),
        )
        .await;
    assert_eq!(
        (wrong.status, wrong.message()),
        (
            StatusCode::UNAUTHORIZED,
            "the e-mail or the password is wrong"
        )
    );
    let r = app
        .send(
            reqwest::Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"email": "coord@loop.test", "password": PASSWORD, "name": "till"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["user"]["role"], "coordinator");
    let token = r.body["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("bcl_"));
    assert_eq!(
        app.get_as(&token, "/api/v1/sites").await.status,
        StatusCode::OK
    );
    let revoked = app
        .send(
            reqwest::Method::DELETE,
            "/api/v1/auth/token",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let after = app.get_as(&token, "/api/v1/sites").await;
    assert_eq!(
        (after.status, after.message()),
        (
            StatusCode::UNAUTHORIZED,
            "this token is unknown or revoked; ask for a new one"
        )
    );
    // The coordinator's other token still works.
    assert_eq!(app.get("/api/v1/sites").await.status, StatusCode::OK);
}

async fn sites_are_checked_before_they_are_saved(backend: Backend) {
    let app = spawn_app(backend).await;
    let r = app
        .post(
            "/api/v1/sites",
            json!({"name": "Biocoop", "kind": "supermarket", "lat": 48.1, "lon": -1.6}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.message(),
        "kind \"supermarket\" is not a site kind; give one of shop, washer, producer, company, hub"
    );
    let r = app
        .post(
            "/api/v1/sites",
            json!({"name": "Biocoop", "kind": "shop", "lat": 148.1, "lon": -1.6}),
        )
        .await;
    assert_eq!(r.error(), "invalid_field");
    let r = app
        .post(
            "/api/v1/sites",
            json!({"name": "Biocoop", "kind": "shop", "lat": 48.1}),
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::BAD_REQUEST, "invalid_body")
    );
    assert!(
        r.message().contains("missing field `lon`"),
        "{}",
        r.message()
    );
    let r = app.post("/api/v1/sites", json!({"name": "Biocoop", "kind": "shop", "lat": 48.1, "lon": -1.6, "email": "not an address"})).await;
    assert_eq!(r.error(), "invalid_field");
    assert_eq!(
        app.get("/api/v1/sites").await.body,
        json!([]),
        "nothing was saved"
    );
    let id = app.site("Biocoop Rennes", "shop", 48.11, -1.68).await;
    let r = app.get(&format!("/api/v1/sites/{id}")).await;
    assert_eq!(
        (
            r.body["name"].as_str(),
            r.body["kind"].as_str(),
            r.body["lat"].as_f64()
        ),
        (Some("Biocoop Rennes"), Some("shop"), Some(48.11))
    );
    assert_eq!(
        app.get("/api/v1/sites/nope").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn unknown_paths_answer_json(backend: Backend) {
    let app = spawn_app(backend).await;
    let r = app.get("/api/v1/containerz").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.message(),
        "there is no GET /api/v1/containerz in this API; see the README for the routes"
    );
    let raw = app
        .client
        .post(format!("{}/api/v1/scans", app.address))
        .bearer_auth(&app.token)
        .header("content-type", "application/json")
        .body("{\"scans\": [")
        .send()
        .await
        .expect("sent");
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = raw.json().await.expect("json error");
    assert_eq!(body["error"], "invalid_body");
}
