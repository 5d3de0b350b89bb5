//! Alerts raised and cleared by a scripted loop, with their exact recipients and subjects,
//! read from the mails the service wrote.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{small_loop, spawn_app_with, Backend, Loop, TestApp};
use crate::mailbox::{files, outbox, to_and_subject, wait_for};
use crate::on_both_backends;
use crate::reports::{receive, scan, ship};

on_both_backends!(
    low_stock_is_told_once_per_start,
    collection_is_called_for_by_count_and_by_age,
    overdue_shipments_are_told_to_both_ends,
    wash_rejects_reach_the_coordinators
);

/// A time `days` before now, for events a device reports late.
pub fn ago(days: f64) -> String {
    let t = Utc::now() - Duration::milliseconds((days * 86_400_000.0) as i64);
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub async fn fast_mail(backend: Backend, extra: &[(&str, &str)]) -> TestApp {
    let mut settings = vec![("MAIL_POLL_SECS", "0.05".to_owned())];
    settings.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    spawn_app_with(backend, &settings).await
}

pub async fn set_prefs(app: &TestApp, token: &str, body: serde_json::Value) {
    let r = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/me/notifications",
            Some(token),
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

/// Sets the producer's low-stock threshold for the loop's jar; returns the answer.
pub async fn low_stock(app: &TestApp, l: &Loop, min_clean: i64) -> serde_json::Value {
    let r = app
        .put(
            "/api/v1/alerts/low-stock",
            json!({"site_id": l.producer, "type_id": l.jar, "min_clean": min_clean}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

pub fn pair(to: &str, subject: &str) -> (String, String) {
    (to.to_owned(), subject.to_owned())
}

async fn low_stock_is_told_once_per_start(backend: Backend) {
    let app = fast_mail(backend, &[]).await;
    let l = small_loop(&app).await;
    app.user("producer", Some(&l.producer), "lea@laiterie.test");
    let ana = app.user("coordinator", None, "ana@loop.test");
    set_prefs(&app, &ana, json!({"language": "en"})).await;
    app.user("shop", Some(&l.shop), "caisse@biocoop.test");
    app.user("washer", Some(&l.washer), "paul@uzaje.test");
    let jars = app.commission(&l.jar, &l.producer, 4, &ago(3.0)).await;
    let body = low_stock(&app, &l, 3).await;
    assert_eq!(body["clean_and_inbound"], 4);
    assert_eq!(body["low"], false);

    // 4 clean, then 3 after one fill: not below 3 yet.
    scan(&app, &jars[0], "fill", &l.producer, &ago(2.0)).await;
    assert_eq!(outbox(&app, "").await.len(), 0);
    // 2 clean: below the threshold, told to the producer's users and the coordinators.
    scan(&app, &jars[1], "fill", &l.producer, &ago(1.9)).await;
    let fr = "Stock bas : Bocal 370 ml chez Laiterie Noyal";
    let en = "Low stock: Bocal 370 ml at Laiterie Noyal";
    let mails = wait_for(3, || files(&app)).await;
    assert_eq!(
        to_and_subject(&mails),
        vec![
            pair("ana@loop.test", en),
            pair("coord@loop.test", fr),
            pair("lea@laiterie.test", fr)
        ]
    );
    let lea = &mails[2];
    assert!(lea.text.contains("Laiterie Noyal n'a plus que 2 contenant(s) « Bocal 370 ml » propres, sur place ou en route, pour un seuil de 3."), "{}", lea.text);
    assert!(
        mails[0]
            .text
            .contains("Laiterie Noyal has only 2 clean \"Bocal 370 ml\" container(s)"),
        "{}",
        mails[0].text
    );
    let r = app.get("/api/v1/alerts").await;
    let in_force = r.body["in_force"].as_array().expect("alerts");
    assert_eq!(in_force.len(), 1, "{in_force:?}");
    assert_eq!(in_force[0]["kind"], "low_stock");
    assert_eq!(in_force[0]["detail"], en);

    // Still low after another fill: nothing more is sent.
    scan(&app, &jars[2], "fill", &l.producer, &ago(1.8)).await;
    // Three clean jars on their way from the washer: 1 + 3 = 4, the alert ends.
    let clean = app.commission(&l.jar, &l.washer, 3, &ago(1.7)).await;
    let codes: Vec<&str> = clean.iter().map(String::as_str).collect();
    let s = ship(&app, &l.washer, &l.producer, &codes, &ago(1.6), 8.0, "van").await;
    let r = app.get("/api/v1/alerts").await;
    assert_eq!(
        r.body["in_force"].as_array().map(Vec::len),
        Some(0),
        "{:?}",
        r.body
    );
    assert_eq!(outbox(&app, "").await.len(), 3);
    // They arrive, two are filled: 4 - 2 = 2 clean, low again, told again.
    receive(&app, &s, &ago(1.5)).await;
    scan(&app, &jars[3], "fill", &l.producer, &ago(1.4)).await;
    assert_eq!(outbox(&app, "").await.len(), 3, "3 left is not below 3");
    scan(&app, &clean[0], "fill", &l.producer, &ago(1.3)).await;
    let mails = wait_for(6, || files(&app)).await;
    assert_eq!(mails.len(), 6, "{:?}", to_and_subject(&mails));
    let sent = outbox(&app, "sent").await;
    assert_eq!(sent.len(), 6);
    // The outbox shows each mail's text, not the recipients' unsubscribe secrets.
    assert!(
        sent.iter().all(|m| m["body_text"]
            .as_str()
            .is_some_and(|t| t.contains("https://boucle.test/unsubscribe/…?kind=low_stock"))),
        "{sent:?}"
    );
    assert!(sent
        .iter()
        .all(|m| m["attempts"] == 1 && m["kind"] == "low_stock"));
    assert!(
        mails.iter().all(|m| m
            .list_unsubscribe
            .as_deref()
            .is_some_and(|u| u.starts_with("<https://boucle.test/unsubscribe/")
                && u.ends_with("?kind=low_stock>"))),
        "{mails:?}"
    );
}

/// Takes `codes` from the producer through a shop's customers and back as dirty returns.
pub async fn returned(app: &TestApp, l: &Loop, codes: &[String], returned_at: &[String]) {
    let refs: Vec<&str> = codes.iter().map(String::as_str).collect();
    for c in codes {
        scan(app, c, "fill", &l.producer, &ago(20.0)).await;
    }
    let s = ship(app, &l.producer, &l.shop, &refs, &ago(19.5), 12.0, "van").await;
    receive(app, &s, &ago(19.4)).await;
    for (c, at) in codes.iter().zip(returned_at) {
        scan(app, c, "sell", &l.shop, &ago(19.0)).await;
        scan(app, c, "return", &l.shop, at).await;
    }
}

async fn collection_is_called_for_by_count_and_by_age(backend: Backend) {
    let app = fast_mail(backend, &[]).await;
    let l = small_loop(&app).await;
    app.user("washer", Some(&l.washer), "paul@uzaje.test");
    app.user("shop", Some(&l.shop), "caisse@biocoop.test");
    app.user("producer", Some(&l.producer), "lea@laiterie.test");
    let r = app
        .put(
            "/api/v1/alerts/collection",
            json!({"site_id": l.shop, "min_dirty": 3}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["min_dirty"], 3);
    assert_eq!(r.body["max_wait_days"], 7.0, "the loop's default");

    // Two dirty jars, returned a day ago: neither 3 jars nor 7 days.
    let jars = app.commission(&l.jar, &l.producer, 4, &ago(21.0)).await;
    returned(&app, &l, &jars[..2], &[ago(1.0), ago(1.0)]).await;
    assert_eq!(outbox(&app, "").await.len(), 0);
    // The third reaches the count.
    returned(&app, &l, &jars[2..3], &[ago(0.5)]).await;
    let subject = "Collecte à prévoir : Biocoop Rennes (3 contenants sales)";
    let mails = wait_for(2, || files(&app)).await;
    assert_eq!(
        to_and_subject(&mails),
        vec![
            pair("coord@loop.test", subject),
            pair("paul@uzaje.test", subject)
        ]
    );
    assert!(
        mails[1].text.contains(
            "Biocoop Rennes garde 3 contenant(s) sales ; le plus ancien attend depuis 1,0 jour(s)."
        ),
        "{}",
        mails[1].text
    );
    // Collected: the alert ends.
    let refs: Vec<&str> = jars[..3].iter().map(String::as_str).collect();
    let s = ship(&app, &l.shop, &l.washer, &refs, &ago(0.2), 8.0, "van").await;
    receive(&app, &s, &ago(0.1)).await;
    let r = app.get("/api/v1/alerts").await;
    assert_eq!(
        r.body["in_force"].as_array().map(Vec::len),
        Some(0),
        "{:?}",
        r.body
    );

    // One jar alone, returned 8 days ago (a late offline scan): it has waited too long.
    let r = app
        .put(
            "/api/v1/alerts/collection",
            json!({"site_id": l.producer, "min_dirty": 3}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.message(),
        "Laiterie Noyal is a producer; collection alerts watch shops"
    );
    returned(&app, &l, &jars[3..4], &[ago(8.0)]).await;
    let old = "Collecte à prévoir : Biocoop Rennes (1 contenant sale)";
    let mails = wait_for(4, || files(&app)).await;
    let late: Vec<_> = mails.iter().filter(|m| m.subject == old).collect();
    assert_eq!(late.len(), 2, "{:?}", to_and_subject(&mails));
    assert!(
        late[0]
            .text
            .contains("le plus ancien attend depuis 8,0 jour(s)"),
        "{}",
        late[0].text
    );
}

async fn overdue_shipments_are_told_to_both_ends(backend: Backend) {
    let app = fast_mail(
        backend,
        &[
            ("ALERT_SWEEP_SECS", "0.1"),
            ("ALERT_SHIPMENT_OVERDUE_HOURS", "48"),
        ],
    )
    .await;
    let l = small_loop(&app).await;
    app.user("washer", Some(&l.washer), "paul@uzaje.test");
    app.user("producer", Some(&l.producer), "lea@laiterie.test");
    app.user("shop", Some(&l.shop), "caisse@biocoop.test");
    let jars = app.commission(&l.jar, &l.washer, 2, &ago(5.0)).await;
    let refs: Vec<&str> = jars.iter().map(String::as_str).collect();
    // Left a day ago: not overdue. Left three days ago: overdue.
    let recent = app.commission(&l.jar, &l.washer, 1, &ago(5.0)).await;
    ship(
        &app,
        &l.washer,
        &l.producer,
        &[recent[0].as_str()],
        &ago(1.0),
        8.0,
        "van",
    )
    .await;
    let s = ship(&app, &l.washer, &l.producer, &refs, &ago(3.0), 8.0, "van").await;
    let subject = "Expédition en retard : Laverie Uzaje → Laiterie Noyal";
    // The sweep also queues the coordinators' digest when last week or month saw events
    // (it does on some days of the week): only the overdue mails are read here.
    let overdue = || {
        let mut mails = files(&app);
        mails.retain(|m| m.subject.starts_with("Expédition en retard"));
        mails
    };
    let mails = wait_for(2, overdue).await;
    assert_eq!(
        to_and_subject(&mails),
        vec![
            pair("lea@laiterie.test", subject),
            pair("paul@uzaje.test", subject)
        ]
    );
    assert!(
        mails[0].text.contains(&format!(
            "L'expédition {s} de Laverie Uzaje vers Laiterie Noyal"
        )),
        "{}",
        mails[0].text
    );
    assert!(
        mails[0]
            .text
            .contains("avec 2 contenant(s), n'est toujours pas reçue après 48 heures."),
        "{}",
        mails[0].text
    );
    receive(&app, &s, &ago(0.1)).await;
    for _ in 0..100 {
        let r = app.get("/api/v1/alerts").await;
        if r.body["in_force"].as_array().is_some_and(Vec::is_empty) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let r = app.get("/api/v1/alerts").await;
    assert_eq!(r.body["in_force"], json!([]), "received, no longer overdue");
    let told = outbox(&app, "").await;
    let told: Vec<_> = told
        .iter()
        .filter(|m| m["kind"] == "shipment_overdue")
        .collect();
    assert_eq!(told.len(), 2, "one mail per end, once: {told:?}");
}

async fn wash_rejects_reach_the_coordinators(backend: Backend) {
    let app = fast_mail(backend, &[]).await;
    let l = small_loop(&app).await;
    let washer = app.user("washer", Some(&l.washer), "paul@uzaje.test");
    let jars = app.commission(&l.jar, &l.producer, 4, &ago(21.0)).await;
    returned(&app, &l, &jars, &[ago(3.0), ago(3.0), ago(3.0), ago(3.0)]).await;
    let refs: Vec<&str> = jars.iter().map(String::as_str).collect();
    let s = ship(&app, &l.shop, &l.washer, &refs, &ago(2.0), 8.0, "van").await;
    receive(&app, &s, &ago(1.9)).await;
    let r = app
        .post_as(
            &washer,
            "/api/v1/wash-batches",
            json!({"site_id": l.washer, "codes": refs, "started_at": ago(1.0)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let batch = r.body["id"].as_str().expect("batch").to_owned();
    let path = format!("/api/v1/wash-batches/{batch}/complete");
    let body =
        json!({"finished_at": ago(0.9), "rejected": [{"code": jars[0], "reason": "broken"}]});
    let complete = || app.post_as(&washer, &path, body.clone());
    let r = complete().await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // 1 of 4 is 25 %, above the default 10 %.
    let subject = "Rebuts au lavage : 25,0 % chez Laverie Uzaje";
    let mails = wait_for(1, || files(&app)).await;
    assert_eq!(
        to_and_subject(&mails),
        vec![pair("coord@loop.test", subject)]
    );
    assert!(
        mails[0]
            .text
            .contains("a rejeté 1 contenant(s) sur 4 (25,0 %), au-dessus du seuil de 10,0 %."),
        "{}",
        mails[0].text
    );
    // Completing it again tells no one again.
    let r = complete().await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(outbox(&app, "").await.len(), 1);
}
