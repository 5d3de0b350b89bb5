//! Every page form that records, sent twice with the key it was shown with (a reload of the
//! answer, the back button and "send again", a double click): the second records nothing
//! and is sent to the first one's answer (DESIGN rule 4).

use reqwest::{header, StatusCode};

use crate::helpers::{small_loop, spawn_app, Backend, TestApp};
use crate::on_both_backends;
use crate::pages::{client, hidden, session_cookie};

on_both_backends!(every_recording_form_records_once);

/// A signed-in browser.
struct Tab<'a> {
    app: &'a TestApp,
    cookie: String,
}

impl<'a> Tab<'a> {
    async fn open(app: &'a TestApp, email: &str) -> Tab<'a> {
        Tab {
            app,
            cookie: session_cookie(app, email).await,
        }
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let r = client()
            .get(format!("{}{path}", self.app.address))
            .header(header::COOKIE, &self.cookie)
            .send()
            .await
            .expect("page");
        (r.status(), r.text().await.expect("html"))
    }

    /// Shows `page`, fills its form posting to `action` with `fields`, and sends it twice
    /// with the key it was shown with; returns where each sending went.
    async fn twice(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> (String, String) {
        let (status, html) = self.get(page).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let form = &html[html
            .find(&format!("action=\"{action}\""))
            .unwrap_or_else(|| panic!("{page} has a form to {action}"))..];
        let key = hidden(form, "once");
        let csrf = hidden(&html, "csrf");
        let mut sent: Vec<(&str, &str)> = vec![("csrf", &csrf), ("once", &key)];
        sent.extend_from_slice(fields);
        let mut went = Vec::new();
        for _ in 0..2 {
            let r = client()
                .post(format!("{}{action}", self.app.address))
                .header(header::COOKIE, &self.cookie)
                .form(&sent)
                .send()
                .await
                .expect("posted");
            assert_eq!(
                r.status(),
                StatusCode::SEE_OTHER,
                "{action}: {:?}",
                r.text().await
            );
            went.push(
                r.headers()[header::LOCATION]
                    .to_str()
                    .expect("location")
                    .to_owned(),
            );
        }
        assert_eq!(
            went[0], went[1],
            "{action}: both sendings go to the same answer"
        );
        // The answer, shown twice (a reload), records nothing either.
        for _ in 0..2 {
            let (status, _) = self.get(&went[0]).await;
            assert_eq!(status, StatusCode::OK, "{}", went[0]);
        }
        (went.remove(0), key)
    }
}

async fn every_recording_form_records_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    app.user("producer", Some(&l.producer), "stock@noyal.test");
    app.user("shop", Some(&l.shop), "caisse@rennes.test");
    app.user("washer", Some(&l.washer), "ligne@uzaje.test");
    let jars = app
        .commission(&l.jar, &l.producer, 3, "2026-11-02T08:00:00Z")
        .await;
    let producer = Tab::open(&app, "stock@noyal.test").await;
    let shop = Tab::open(&app, "caisse@rennes.test").await;
    let washer = Tab::open(&app, "ligne@uzaje.test").await;
    let coordinator = Tab::open(&app, "coord@loop.test").await;
    let mut events = app.count_events();
    let mut grew = |by: i64, what: &str| {
        let now = app.count_events();
        assert_eq!(now - events, by, "{what}");
        events = now;
    };

    // The producer fills three jars, and ships them to the shop.
    let codes = jars.join("\n");
    let page = format!("/producer?site={}", l.producer);
    let (to, _) = producer
        .twice(
            &page,
            "/producer/fill",
            &[("site", &l.producer), ("codes", &codes)],
        )
        .await;
    assert!(to.starts_with("/done/"), "{to}");
    grew(3, "three fills");
    assert_eq!(app.container(&jars[0]).await["uses"], 1);
    producer
        .twice(
            &page,
            "/producer/ship",
            &[("site", &l.producer), ("codes", &codes), ("shop", &l.shop)],
        )
        .await;
    grew(3, "one shipment of three");
    let shipment = app.container(&jars[0]).await["shipment_id"]
        .as_str()
        .expect("on board")
        .to_owned();

    // The shop receives it.
    let page = format!("/receive/{shipment}");
    shop.twice(&page, &page, &[("codes", ""), ("all", "yes")])
        .await;
    grew(3, "three receipts");

    // Two come back at the till (no script); the second is undone, once.
    let till = format!("/shop?site={}", l.shop);
    for jar in &jars[..2] {
        shop.twice(&till, "/shop/return", &[("site", &l.shop), ("code", jar)])
            .await;
        grew(1, "one return");
    }
    shop.twice(&till, "/shop/undo", &[("site", &l.shop), ("id", "")])
        .await;
    grew(1, "one undo");
    assert_eq!(app.container(&jars[0]).await["condition"], "dirty");
    assert_eq!(app.container(&jars[1]).await["condition"], "filled");

    // The dirty one goes to the collection, once.
    shop.twice(
        &till,
        "/shop/collection",
        &[("site", &l.shop), ("washer", &l.washer)],
    )
    .await;
    grew(1, "one jar collected");
    let collected = app.container(&jars[0]).await["shipment_id"]
        .as_str()
        .expect("collected")
        .to_owned();
    let r = app
        .post(
            &format!("/api/v1/shipments/{collected}/receive"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    grew(1, "received at the washer");

    // The washer opens a batch, then completes it.
    let page = format!("/washer?site={}", l.washer);
    let (to, _) = washer
        .twice(
            &page,
            "/washer/batches",
            &[("site", &l.washer), ("codes", &jars[0])],
        )
        .await;
    grew(1, "one jar in the batch");
    let (_, html) = washer.get(&to).await;
    let action = html[html
        .find("action=\"/washer/batches/")
        .expect("the complete form")
        + 8..]
        .split('"')
        .next()
        .expect("action")
        .to_owned();
    washer
        .twice(
            &to,
            &action,
            &[
                ("broken", ""),
                ("rewash", ""),
                ("water_l", "12,5"),
                ("energy_kwh", "3,5"),
            ],
        )
        .await;
    grew(1, "one jar washed");
    assert_eq!(app.container(&jars[0]).await["condition"], "clean");

    // Staff on a jar's page: the shop reports a jar on its shelf broken.
    let page = format!("/c/{}", jars[2]);
    shop.twice(
        &page,
        &format!("/c/{}/scan", jars[2]),
        &[("action", "break")],
    )
    .await;
    grew(1, "one breakage");

    // The coordinator prints labels for three new jars, and adds a site.
    let (to, _) = coordinator
        .twice(
            "/labels",
            "/labels",
            &[
                ("type_id", &l.jar),
                ("site_id", &l.producer),
                ("count", "3"),
            ],
        )
        .await;
    assert!(to.starts_with("/labels/made/"), "{to}");
    grew(3, "three commissioned");
    let (_, sheet) = coordinator.get(&to).await;
    assert_eq!(sheet.matches("class=\"label\"").count(), 3);
    let sites = app.count("/api/v1/sites").await;
    coordinator
        .twice(
            "/manage",
            "/manage/sites",
            &[
                ("name", "Épicerie Vrac"),
                ("kind", "shop"),
                ("lat", "48,11"),
                ("lon", "-1,67"),
            ],
        )
        .await;
    let after = app.count("/api/v1/sites").await;
    assert_eq!(after, sites + 1, "one site");
    grew(0, "a site is no event");

    // Another session cannot read these answers.
    let (status, _) = washer.get(&to).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
