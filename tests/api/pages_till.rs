//! The till in a real browser: shop staff sign in, scan returns (one unknown), see the tally
//! and the error, lose the network, keep scanning, and see the queue drain once it is back,
//! with every scan recorded once.

use reqwest::StatusCode;

use crate::browser::Browser;
use crate::helpers::{small_loop, spawn_app, Backend, TestApp, PASSWORD};
use crate::in_browser;
use crate::reports::{receive, scan, ship};

in_browser!(returns_at_the_till_survive_the_network_going_down);

/// Three jars sold at the shop, waiting to come back; returns the codes and the shop.
async fn jars_with_customers(app: &TestApp) -> (Vec<String>, String) {
    let l = small_loop(app).await;
    let jars = app
        .commission(&l.jar, &l.washer, 3, "2026-01-10T00:00:00Z")
        .await;
    let refs: Vec<&str> = jars.iter().map(String::as_str).collect();
    let s = ship(
        app,
        &l.washer,
        &l.producer,
        &refs,
        "2026-01-11T08:00:00Z",
        8.0,
        "van",
    )
    .await;
    receive(app, &s, "2026-01-11T10:00:00Z").await;
    for j in &jars {
        scan(app, j, "fill", &l.producer, "2026-01-12T08:00:00Z").await;
    }
    let s = ship(
        app,
        &l.producer,
        &l.shop,
        &refs,
        "2026-01-13T08:00:00Z",
        20.0,
        "van",
    )
    .await;
    receive(app, &s, "2026-01-13T10:00:00Z").await;
    for j in &jars {
        scan(app, j, "sell", &l.shop, "2026-01-14T10:00:00Z").await;
    }
    (jars, l.shop)
}

/// The returns recorded for `code`, from its timeline.
async fn returns_of(app: &TestApp, code: &str) -> usize {
    let r = app.get(&format!("/api/v1/containers/{code}/events")).await;
    assert_eq!(r.status, StatusCode::OK);
    let events = r.body.as_array().expect("events").clone();
    events.iter().filter(|e| e["action"] == "return").count()
}

async fn returns_at_the_till_survive_the_network_going_down() {
    let app = spawn_app(Backend::Sqlite).await;
    let (jars, shop) = jars_with_customers(&app).await;
    app.user("shop", Some(&shop), "caisse@loop.test");
    let b = Browser::start().await;
    b.sign_in(&app.address, "/shop", "caisse@loop.test", PASSWORD)
        .await;
    assert_eq!(b.text("#tally-count").await, "0");

    b.scan("#code", &jars[0]).await;
    b.wait_until("document.querySelectorAll('#recent li').length === 1")
        .await;
    assert_eq!(
        b.text("#result").await,
        format!("{} · Retour enregistré", jars[0])
    );
    // A well-formed code that no container has.
    let unknown = boucle::domain::code::ShortCode::from_serial(987_654).display("ZW");
    b.scan("#code", &unknown).await;
    b.wait_until("document.querySelectorAll('#recent li').length === 2")
        .await;
    assert_eq!(
        b.text("#result").await,
        format!("{unknown} · Code inconnu : ce contenant n'est pas de la boucle, ou le code est mal lu. Vérifiez l'étiquette.")
    );
    b.wait_until("document.getElementById('result').className === 'result refused'")
        .await;
    b.scan("#code", &jars[1].to_lowercase()).await;
    b.wait_until("document.querySelectorAll('#recent li').length === 3")
        .await;
    assert_eq!(b.text("#tally-count").await, "2");
    b.screenshot("till").await;

    // The network goes: the scan waits in the browser, the server has not seen it.
    b.offline(true).await;
    b.scan("#code", &jars[2]).await;
    b.wait_until("document.getElementById('queue-count').textContent === '1'")
        .await;
    assert_eq!(b.text("#queue-count").await, "1");
    assert!(b.text("#result").await.contains("En attente d'envoi"));
    // The same scan is queued twice, as when an answer is lost and the browser sends again.
    b.client
        .execute(
            "const k = Object.keys(localStorage).find(k => k.startsWith('boucle.till.queue.'));
             const q = JSON.parse(localStorage.getItem(k)); q.push(q[0]);
             localStorage.setItem(k, JSON.stringify(q));",
            vec![],
        )
        .await
        .expect("queue doubled");
    assert_eq!(returns_of(&app, &jars[2]).await, 0);
    b.screenshot("till-offline").await;

    // Back online: the queue drains, and the scan is recorded once.
    b.offline(false).await;
    b.wait_until("document.getElementById('queue').hidden")
        .await;
    b.wait_until("document.getElementById('tally-count').textContent === '3'")
        .await;
    assert_eq!(returns_of(&app, &jars[2]).await, 1);
    for j in &jars {
        assert_eq!(app.container(j).await["condition"], "dirty", "{j}");
    }

    // The last return was a mistake: undone, the jar is back with its customer.
    b.client
        .find(fantoccini::Locator::Id("undo"))
        .await
        .expect("the undo button")
        .click()
        .await
        .expect("clicked");
    b.wait_until("document.getElementById('tally-count').textContent === '2'")
        .await;
    assert_eq!(
        b.text("#result").await,
        format!("{} · Retour annulé", jars[2])
    );
    assert_eq!(returns_of(&app, &jars[2]).await, 0);
    let c = app.container(&jars[2]).await;
    assert_eq!(
        (c["state"].as_str(), c["condition"].as_str()),
        (Some("with_consumer"), Some("filled"))
    );
    b.close().await;
}
