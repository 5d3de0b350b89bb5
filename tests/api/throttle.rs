//! Token sign-in waits after repeated failures, like the page, counting the same failures;
//! behind a trusted proxy the client is the address the proxy names, and only then.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{small_loop, spawn_app, spawn_app_with, Backend, TestApp, PASSWORD};
use crate::on_both_backends;
use crate::pages::sign_in;

/// Asks for a token, maybe through a proxy naming `forwarded` as the client.
async fn token(
    app: &TestApp,
    email: &str,
    password: &str,
    forwarded: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(format!("{}/api/v1/auth/token", app.address))
        .json(&json!({"email": email, "password": password, "name": "till"}));
    if let Some(f) = forwarded {
        req = req.header("X-Forwarded-For", f);
    }
    req.send().await.expect("request sent")
}

#[tokio::test]
async fn token_sign_in_waits_after_five_failures_of_an_account() {
    let app = spawn_app(Backend::Sqlite).await;
    let l = small_loop(&app).await;
    app.user("shop", Some(&l.shop), "caisse@loop.test");
    for _ in 0..5 {
        let r = token(&app, "Caisse@Loop.test", "wrong", None).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // The right password now waits too, a minute after the fifth failure.
    let r = token(&app, "caisse@loop.test", PASSWORD, None).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = r.headers()["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!((50..=60).contains(&wait), "Retry-After: {wait}");
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(
        body,
        json!({"error": "too_many_attempts", "message": "too many failed sign-ins for this e-mail from this address, or from this address: try again in 1 min"})
    );
    // The page counts the same failures.
    let page = sign_in(&app, "caisse@loop.test", PASSWORD).await;
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another account from the same address is not held up, and its success forgives
    // nothing of the first.
    app.user("shop", Some(&l.shop2), "autre@loop.test");
    assert_eq!(
        token(&app, "autre@loop.test", PASSWORD, None)
            .await
            .status(),
        StatusCode::CREATED
    );
    let r = token(&app, "caisse@loop.test", PASSWORD, None).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_client_is_the_one_a_trusted_proxy_names() {
    // Without a trusted proxy, a forged header changes nothing: twenty failures over twenty
    // accounts from one address stop that address, whatever each request claims.
    let app = spawn_app(Backend::Sqlite).await;
    for i in 0..20 {
        let forged = format!("198.51.100.{i}");
        let r = token(
            &app,
            &format!("nobody{i}@loop.test"),
            "wrong",
            Some(&forged),
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = token(&app, "coord@loop.test", PASSWORD, Some("203.0.113.1")).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);

    // Behind a trusted proxy (the test's own address), each named client counts apart.
    let app = spawn_app_with(
        Backend::Sqlite,
        &[("TRUSTED_PROXIES", "127.0.0.1, ::1".to_owned())],
    )
    .await;
    for i in 0..20 {
        let r = token(
            &app,
            &format!("nobody{i}@loop.test"),
            "wrong",
            Some("198.51.100.7"),
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = token(&app, "coord@loop.test", PASSWORD, Some("198.51.100.7")).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let r = token(&app, "coord@loop.test", PASSWORD, Some("198.51.100.8")).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // A client that forges a first hop is still the address the proxy saw.
    let r = token(
        &app,
        "coord@loop.test",
        PASSWORD,
        Some("198.51.100.8, 198.51.100.7"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

on_both_backends!(parallel_attempts_are_counted_before_their_passwords_are_checked);

async fn parallel_attempts_are_counted_before_their_passwords_are_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let tries: Vec<_> = (0..30)
        .map(|_| token(&app, "coord@loop.test", "wrong", None))
        .collect();
    let answers = futures_util::future::join_all(tries).await;
    let count = |s: StatusCode| answers.iter().filter(|r| r.status() == s).count();
    // Five are checked (and fail); the other 25 wait without a check.
    assert_eq!(
        (
            count(StatusCode::UNAUTHORIZED),
            count(StatusCode::TOO_MANY_REQUESTS)
        ),
        (5, 25)
    );
    let audit = app
        .get("/api/v1/audit?action=sign_in_failed&limit=100")
        .await;
    assert_eq!(
        audit.body.as_array().map(Vec::len),
        Some(5),
        "{:?}",
        audit.body
    );
}

#[tokio::test]
async fn a_stranger_elsewhere_does_not_keep_an_account_out() {
    let app = spawn_app_with(
        Backend::Sqlite,
        &[("TRUSTED_PROXIES", "127.0.0.1, ::1".to_owned())],
    )
    .await;
    // Someone at 198.51.100.7 knows the coordinator's e-mail and tries twelve passwords.
    let mut waits = Vec::new();
    for _ in 0..12 {
        let r = token(&app, "coord@loop.test", "guess", Some("198.51.100.7")).await;
        waits.push(r.status());
    }
    let checked = waits
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!(checked, 5, "{waits:?}");
    // The coordinator, at the office, signs in at once.
    let r = token(&app, "coord@loop.test", PASSWORD, Some("198.51.100.8")).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // The stranger still waits: the office's success forgives nothing of its failures.
    let r = token(&app, "coord@loop.test", PASSWORD, Some("198.51.100.7")).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}
