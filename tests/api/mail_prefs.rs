//! What each user chooses to receive, the unsubscribe link of every mail, and thresholds or
//! queries that are refused.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{small_loop, Backend};
use crate::mail::{ago, fast_mail, low_stock, pair, set_prefs};
use crate::mailbox::{files, to_and_subject, wait_for};
use crate::on_both_backends;

on_both_backends!(choices_and_unsubscribe_links_are_kept);

async fn choices_and_unsubscribe_links_are_kept(backend: Backend) {
    let app = fast_mail(backend, &[]).await;
    let l = small_loop(&app).await;
    let quiet = app.user("coordinator", None, "quiet@loop.test");
    let r = app.get_as(&quiet, "/api/v1/me/notifications").await;
    assert_eq!(r.body["language"], "fr");
    assert_eq!(r.body["mails"]["low_stock"], true);
    let r = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/me/notifications",
            Some(&quiet),
            Some(json!({"mails": {"low-stock": false}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.message(), "\"low-stock\" is not a kind of mail; give some of low_stock, collection_needed, shipment_overdue, wash_rejects, digest_weekly, digest_monthly");
    let r = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/me/notifications",
            Some(&quiet),
            Some(json!({"language": "de"})),
        )
        .await;
    assert_eq!(r.message(), "language \"de\" is not offered; give fr or en");
    set_prefs(&app, &quiet, json!({"mails": {"low_stock": false}})).await;
    let r = app.get_as(&quiet, "/api/v1/me/notifications").await;
    assert_eq!(r.body["mails"]["low_stock"], false);
    assert_eq!(r.body["mails"]["digest_weekly"], true);

    app.commission(&l.jar, &l.producer, 1, &ago(1.0)).await;
    let body = low_stock(&app, &l, 2).await;
    assert_eq!(body["low"], true);
    let mails = wait_for(1, || files(&app)).await;
    assert_eq!(
        to_and_subject(&mails),
        vec![pair(
            "coord@loop.test",
            "Stock bas : Bocal 370 ml chez Laiterie Noyal"
        )]
    );

    // The link in the mail: a page that asks, then a form that unsubscribes.
    let text = &mails[0].text;
    let start = text
        .find("https://boucle.test/unsubscribe/")
        .expect("a link");
    let link = text[start..].split_whitespace().next().expect("a link");
    assert!(text.contains(&format!("Message de Boucle (alerte de stock bas). Pour ne plus recevoir ce type de message : {link}")), "{text}");
    let path = link
        .strip_prefix("https://boucle.test")
        .expect("the service's own link");
    let page = app
        .client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("<form method=\"post\""), "{html}");
    let r = app.send(reqwest::Method::POST, path, None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app.get("/api/v1/me/notifications").await;
    assert_eq!(
        r.body["mails"]["low_stock"], false,
        "coord@loop.test unsubscribed"
    );
    assert_eq!(
        r.body["mails"]["collection_needed"], true,
        "only from that kind"
    );
    let r = app
        .send(
            reqwest::Method::POST,
            "/unsubscribe/not-a-token",
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Wrong thresholds are refused, naming the field, and the one in force stays.
    let r = app
        .put(
            "/api/v1/alerts/low-stock",
            json!({"site_id": l.shop, "type_id": l.jar, "min_clean": 2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.message(), "Biocoop Rennes is a shop; low-stock alerts watch the sites that fill containers (producer, company, hub)");
    let r = app
        .put(
            "/api/v1/alerts/low-stock",
            json!({"site_id": l.producer, "type_id": l.jar, "min_clean": -1}),
        )
        .await;
    assert_eq!(
        r.message(),
        "min_clean must be 0 (no alert) or more, not -1"
    );
    let r = app.get("/api/v1/alerts").await;
    assert_eq!(
        r.body["low_stock"],
        json!([{"site_id": l.producer, "type_id": l.jar, "min_clean": 2}])
    );
    let shopper = app.user("shop", Some(&l.shop), "caisse@biocoop.test");
    let r = app.get_as(&shopper, "/api/v1/outbox").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.get("/api/v1/outbox?status=lost").await;
    assert_eq!(
        r.message(),
        "status=\"lost\" is not known; give one of queued, sending, sent, failed"
    );
}

on_both_backends!(users_have_their_unsubscribe_secret_from_the_start);

/// The secret is made with the user, so queuing a mail never writes the user's row: on
/// PostgreSQL that write waited on every scan naming the user while holding the counts those
/// scans waited for, a deadlock under load.
async fn users_have_their_unsubscribe_secret_from_the_start(backend: Backend) {
    use boucle::db::schema::users;
    use diesel::prelude::*;
    let app = crate::helpers::spawn_app(backend).await;
    app.user("coordinator", None, "a@loop.test");
    app.user("shop", None, "b@loop.test");
    let mut conn = app.db.read_conn().expect("conn");
    let secrets: Vec<Option<String>> = users::table
        .filter(users::email.eq_any(["a@loop.test", "b@loop.test"]))
        .order(users::email)
        .select(users::unsubscribe_token)
        .load(&mut *conn)
        .expect("secrets");
    let secrets: Vec<String> = secrets.into_iter().map(|s| s.expect("a secret")).collect();
    assert_eq!(secrets.len(), 2);
    // 32 random bytes in URL-safe base64 without padding.
    assert!(secrets.iter().all(|s| s.len() == 43), "{secrets:?}");
    assert_ne!(secrets[0], secrets[1]);
}
