//! The OpenAPI document: every route of the router is in it, with its security and errors as
//! the code enforces them, and the browsable reference works from the service alone.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{spawn_app, Backend, TestApp};

/// The document as a client fetches it: without a token.
pub async fn document(app: &TestApp) -> Value {
    let r = app
        .send(reqwest::Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            out.push((method.to_uppercase(), path.clone(), op));
        }
    }
    out
}

/// The `(method, path)` of each `.route(...)` in the router's source, with the API scope's
/// prefix on those inside it (from the scope to its default service).
fn routed() -> BTreeSet<(String, String)> {
    let source = include_str!("../../src/http/mod.rs");
    let body = &source[source.find("pub fn configure").expect("configure")..];
    let body = &body[..body.find("\n}\n").expect("end of configure")];
    let scope = body.find("web::scope(\"/api/v1\")").expect("the API scope");
    let scope_end = scope
        + body[scope..]
            .find(".default_service(")
            .expect("end of the scope");
    let mut out = BTreeSet::new();
    for (at, _) in body.match_indices(".route(") {
        let rest = &body[at + ".route(".len()..];
        let path = rest.split('"').nth(1).expect("a path");
        let method = rest
            .split("web::")
            .nth(1)
            .and_then(|m| m.split("()").next())
            .expect("a method")
            .to_uppercase();
        let path = if (scope..scope_end).contains(&at) {
            format!("/api/v1{path}")
        } else {
            path.to_owned()
        };
        out.insert((method, path));
    }
    out
}

#[test]
fn every_route_of_the_router_is_documented() {
    let api: BTreeSet<(String, String)> = boucle::http::ROUTES
        .iter()
        .chain(boucle::http::LINKS)
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let mut expected = api.clone();
    expected.insert(("GET".into(), "/api/docs".into()));
    expected.insert(("GET".into(), "/api/docs/{file}".into()));
    assert_eq!(
        routed(),
        expected,
        "the router and boucle::http::ROUTES/LINKS disagree"
    );
    let documented: BTreeSet<(String, String)> =
        boucle::http::openapi::documented().into_iter().collect();
    let missing: Vec<_> = api.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the OpenAPI document: {missing:?}"
    );
    let extra: Vec<_> = documented.difference(&api).collect();
    assert!(
        extra.is_empty(),
        "documented routes the router lacks: {extra:?}"
    );
}

#[tokio::test]
async fn the_document_says_who_signs_in_and_what_errors_mean() {
    let app = spawn_app(Backend::Sqlite).await;
    let doc = document(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "Boucle");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(doc["servers"][0]["url"], app.config.base_url.as_str());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"],
        serde_json::json!({"type": "http", "scheme": "bearer", "description": "A token from POST /api/v1/auth/token or `boucle token create`."})
    );
    let codes: Vec<&str> = doc["components"]["schemas"]["ErrorView"]["properties"]["error"]["enum"]
        .as_array()
        .expect("the error codes")
        .iter()
        .map(|c| c.as_str().expect("a code"))
        .collect();
    assert_eq!(codes, boucle::error::ERROR_CODES);

    let schema: Value =
        serde_json::from_str(include_str!("../fixtures/openapi/openapi-3.1-schema.json"))
            .expect("the OpenAPI schema is JSON");
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .expect("the OpenAPI schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not a valid OpenAPI 3.1 document: {errors:?}"
    );
    // Each schema of the document is itself a valid JSON Schema 2020-12.
    for (name, s) in doc["components"]["schemas"].as_object().expect("schemas") {
        assert!(
            jsonschema::meta::is_valid(s),
            "the schema {name} is not valid JSON Schema"
        );
    }

    let ops = operations(&doc);
    assert_eq!(
        ops.len(),
        boucle::http::ROUTES.len() + boucle::http::LINKS.len()
    );
    let mut ids = BTreeSet::new();
    for (method, path, op) in &ops {
        let what = format!("{method} {path}");
        let id = op["operationId"].as_str().expect("an operationId");
        assert!(ids.insert(id), "{what}: operationId {id} is used twice");
        assert!(op["summary"].is_string(), "{what} has no summary");
        let responses = op["responses"].as_object().expect("responses");
        assert!(
            responses
                .keys()
                .any(|s| s.starts_with('2') || s.starts_with('3')),
            "{what} documents no success"
        );
        for (status, r) in responses {
            assert!(
                r["description"].as_str().is_some_and(|d| !d.is_empty()),
                "{what} {status}"
            );
            // Health answers its own shape when the database is down, for load balancers.
            let health = path == "/api/v1/health" && status == "503";
            if (status.starts_with('4') || status.starts_with('5')) && !health {
                assert_eq!(
                    r["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorView",
                    "{what} {status} is not an error body"
                );
            }
        }
        let public = !path.starts_with("/api/v1/") || boucle::http::auth::is_public(method, path);
        if public {
            assert_eq!(op["security"], serde_json::json!([]), "{what} is open");
        } else {
            assert_eq!(
                op["security"],
                serde_json::json!([{"bearer": []}]),
                "{what}"
            );
            assert!(
                responses.contains_key("401"),
                "{what} does not document 401"
            );
        }
        if op.get("requestBody").is_some() {
            assert!(
                responses.contains_key("400"),
                "{what} does not document a bad body"
            );
        }
        if path.starts_with("/api/v1/") {
            assert!(
                responses.contains_key("500") && responses.contains_key("503"),
                "{what}"
            );
        }
    }
    // Every reference points at a schema of the document.
    let text = doc.to_string();
    for (at, _) in text.match_indices("\"$ref\":\"#/components/schemas/") {
        let name = text[at + 29..].split('"').next().expect("a name");
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "{name} is not defined"
        );
    }
}

#[tokio::test]
async fn the_reference_page_needs_nothing_from_elsewhere() {
    let app = spawn_app(Backend::Sqlite).await;
    let page = app
        .client
        .get(format!("{}/api/docs", app.address))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let html = page.text().await.expect("html");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    let mut assets = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for (at, _) in html.match_indices(attr) {
            assets.push(
                html[at + attr.len()..]
                    .split('"')
                    .next()
                    .expect("url")
                    .to_owned(),
            );
        }
    }
    assert_eq!(
        assets,
        [
            "docs/swagger-ui-bundle.js",
            "docs/init.js",
            "docs/swagger-ui.css"
        ]
    );
    for (asset, content_type, min_len) in [
        (
            "docs/swagger-ui-bundle.js",
            "text/javascript; charset=utf-8",
            1_000_000,
        ),
        ("docs/init.js", "text/javascript; charset=utf-8", 100),
        ("docs/swagger-ui.css", "text/css; charset=utf-8", 100_000),
    ] {
        let r = app
            .client
            .get(format!("{}/api/{asset}", app.address))
            .send()
            .await
            .expect("asset");
        assert_eq!(r.status(), StatusCode::OK, "{asset}");
        assert_eq!(r.headers()["content-type"], content_type, "{asset}");
        let body = r.text().await.expect("asset body");
        assert!(body.len() >= min_len, "{asset} is {} bytes", body.len());
        if asset == "docs/init.js" {
            assert!(body.contains("url: \"v1/openapi.json\""), "{body}");
            assert!(body.contains("validatorUrl: null"), "{body}");
        }
    }
    let r = app
        .client
        .get(format!("{}/api/docs/nothing.js", app.address))
        .send()
        .await
        .expect("404");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"], "not_found");
}

#[test]
fn the_command_line_prints_the_served_document() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_boucle"))
        .arg("openapi")
        .env("BASE_URL", "https://loop.example")
        .output()
        .expect("boucle openapi runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(doc["servers"][0]["url"], "https://loop.example");
    assert_eq!(
        operations(&doc).len(),
        boucle::http::ROUTES.len() + boucle::http::LINKS.len()
    );
}
