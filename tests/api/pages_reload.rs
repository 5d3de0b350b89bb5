//! In a real browser, every page that records: the form sent, then its answer reloaded, the
//! back button, forward again and a double click record nothing more (DESIGN rule 4).

use fantoccini::Locator;

use crate::browser::Browser;
use crate::helpers::{small_loop, spawn_app, Backend, TestApp, PASSWORD};
use crate::in_browser;
use crate::reports::{receive, scan, ship};

in_browser!(reloading_or_going_back_records_nothing_more);

/// Sends the form posting to `action` (its fields filled already), waits for its answer,
/// then reloads it, goes back and forward: the events grow by `by`, once.
async fn send_then_wander(b: &Browser, app: &TestApp, action: &str, by: i64) {
    let before = app.count_events();
    let from = b.client.current_url().await.expect("url").to_string();
    let form = format!("form[action=\"{action}\"]");
    b.client
        .execute(
            &format!("var f = document.querySelector('{form}'); f.requestSubmit(f.querySelector('button[type=submit]'));"),
            vec![],
        )
        .await
        .expect("sent");
    b.wait_until(&format!(
        "location.href !== {from:?} && document.readyState === 'complete'"
    ))
    .await;
    let answered = b.client.current_url().await.expect("url");
    assert_eq!(app.count_events() - before, by, "{action}: sent once");
    b.client.refresh().await.expect("reloaded");
    assert_eq!(
        b.client.current_url().await.expect("url"),
        answered,
        "{action}: the answer again"
    );
    b.client.back().await.expect("back");
    b.client.forward().await.expect("forward");
    b.client.refresh().await.expect("reloaded");
    assert_eq!(
        app.count_events() - before,
        by,
        "{action}: reloaded, back and forward"
    );
}

async fn fill(b: &Browser, css: &str, text: &str) {
    let Ok(field) = b.client.find(Locator::Css(css)).await else {
        let page = b.client.source().await.unwrap_or_default();
        panic!("no {css} in the page:\n{page}");
    };
    field.clear().await.expect("cleared");
    field.send_keys(text).await.expect("typed");
}

async fn reloading_or_going_back_records_nothing_more() {
    let app = spawn_app(Backend::Sqlite).await;
    let l = small_loop(&app).await;
    app.user("producer", Some(&l.producer), "laiterie@loop.test");
    app.user("washer", Some(&l.washer), "laveur@loop.test");
    let jars = app
        .commission(&l.jar, &l.producer, 2, "2026-11-02T08:00:00Z")
        .await;
    let codes = jars.join("\n");

    // The producer fills two jars, then ships them with a double click.
    let b = Browser::start().await;
    b.sign_in(
        &app.address,
        &format!("/producer?site={}", l.producer),
        "laiterie@loop.test",
        PASSWORD,
    )
    .await;
    fill(&b, "#fill-codes", &codes).await;
    send_then_wander(&b, &app, "/producer/fill", 2).await;
    b.goto(&format!("{}/producer?site={}", app.address, l.producer))
        .await;
    fill(&b, "#ship-codes", &codes).await;
    let before = app.count_events();
    b.client
        .execute("var f = document.querySelector('form[action=\"/producer/ship\"]'); f.requestSubmit(); f.requestSubmit();", vec![])
        .await
        .expect("sent twice");
    b.wait_until("location.pathname.startsWith('/done/')").await;
    b.wait_until("document.readyState === 'complete'").await;
    assert_eq!(app.count_events() - before, 2, "a double click ships once");
    b.client.refresh().await.expect("reloaded");
    assert_eq!(app.count_events() - before, 2);
    b.close().await;

    // Two other jars come back dirty to the washer, which receives them, opens a batch and
    // completes it.
    let jars = app
        .commission(&l.jar, &l.producer, 2, "2026-11-02T08:00:00Z")
        .await;
    let codes = jars.join("\n");
    for j in &jars {
        scan(&app, j, "fill", &l.producer, "2026-11-03T09:00:00Z").await;
        scan(&app, j, "return", &l.producer, "2026-11-03T10:00:00Z").await;
    }
    let refs: Vec<&str> = jars.iter().map(String::as_str).collect();
    let s = ship(
        &app,
        &l.producer,
        &l.washer,
        &refs,
        "2026-11-03T11:00:00Z",
        8.0,
        "van",
    )
    .await;
    let b = Browser::start().await;
    b.sign_in(&app.address, "/receive", "laveur@loop.test", PASSWORD)
        .await;
    b.goto(&format!("{}/receive/{s}", app.address)).await;
    fill(&b, "#codes", &jars[0]).await;
    send_then_wander(&b, &app, &format!("/receive/{s}"), 1).await;
    receive(&app, &s, "2026-11-03T12:00:00Z").await;
    b.goto(&format!("{}/washer?site={}", app.address, l.washer))
        .await;
    fill(&b, "#codes", &codes).await;
    send_then_wander(&b, &app, "/washer/batches", 2).await;
    let complete = b
        .client
        .find(Locator::Css("form[action$=\"/complete\"]"))
        .await
        .expect("the complete form")
        .attr("action")
        .await
        .expect("attribute")
        .expect("an action");
    fill(&b, "#energy", "3,5").await;
    send_then_wander(&b, &app, &complete, 2).await;
    b.close().await;

    // The coordinator prints a sheet of labels, and adds a site.
    let b = Browser::start().await;
    b.sign_in(&app.address, "/labels", "coord@loop.test", PASSWORD)
        .await;
    fill(&b, "#count", "3").await;
    send_then_wander(&b, &app, "/labels", 3).await;
    assert_eq!(
        b.client
            .find_all(Locator::Css(".label"))
            .await
            .expect("labels")
            .len(),
        3
    );
    b.goto(&format!("{}/manage", app.address)).await;
    fill(&b, "#site-name", "Épicerie Vrac").await;
    fill(&b, "input[name=lat]", "48,11").await;
    fill(&b, "input[name=lon]", "-1,67").await;
    let sites = app.count("/api/v1/sites").await;
    send_then_wander(&b, &app, "/manage/sites", 0).await;
    let after = app.count("/api/v1/sites").await;
    assert_eq!(after, sites + 1, "one site added");
    let types = app.count("/api/v1/container-types").await;
    b.goto(&format!("{}/manage", app.address)).await;
    fill(&b, "#type-name", "Bouteille 75 cl").await;
    fill(&b, "#type-material", "glass").await;
    fill(&b, "#type-tare", "400").await;
    fill(&b, "#type-single", "40").await;
    send_then_wander(&b, &app, "/manage/types", 0).await;
    let after = app.count("/api/v1/container-types").await;
    assert_eq!(after, types + 1, "one type added");
    b.close().await;

    // At the shop: a jar on its shelf reported broken from its page, then the dirty ones
    // handed to the collection.
    app.user("shop", Some(&l.shop), "caisse@loop.test");
    let shelf = app
        .commission(&l.jar, &l.producer, 2, "2026-11-02T08:00:00Z")
        .await;
    let refs: Vec<&str> = shelf.iter().map(String::as_str).collect();
    for j in &shelf {
        scan(&app, j, "fill", &l.producer, "2026-11-03T09:00:00Z").await;
    }
    let s = ship(
        &app,
        &l.producer,
        &l.shop,
        &refs,
        "2026-11-03T10:00:00Z",
        12.0,
        "van",
    )
    .await;
    receive(&app, &s, "2026-11-03T11:00:00Z").await;
    scan(&app, &shelf[1], "return", &l.shop, "2026-11-04T11:00:00Z").await;
    let b = Browser::start().await;
    b.sign_in(&app.address, "/shop", "caisse@loop.test", PASSWORD)
        .await;
    b.goto(&format!("{}/c/{}", app.address, shelf[0])).await;
    // The page has a form for each of the shop's actions, all posting to the same address: the breakage one
    // is picked by an id given here.
    b.client
        .execute("document.querySelector('form input[name=action][value=break]').form.setAttribute('id', 'break-form');", vec![])
        .await
        .expect("the breakage form");
    send_then_wander(
        &b,
        &app,
        &format!("/c/{}/scan\"][id=\"break-form", shelf[0]),
        1,
    )
    .await;
    assert_eq!(app.container(&shelf[0]).await["state"], "retired");
    b.goto(&format!("{}/shop", app.address)).await;
    send_then_wander(&b, &app, "/shop/collection", 1).await;
    assert_eq!(app.container(&shelf[1]).await["state"], "in_transit");
    b.close().await;
}
