//! The sites' pages in a real browser: a washer receives dirty jars, washes them with one
//! broken; the producer sees them coming, receives part of them, fills and ships them.

use fantoccini::Locator;

use crate::browser::Browser;
use crate::helpers::{small_loop, spawn_app, Backend, PASSWORD};
use crate::in_browser;
use crate::reports::{receive, scan, ship};

in_browser!(jars_go_round_through_the_pages);

async fn type_into(b: &Browser, id: &str, text: &str) {
    let field = b
        .client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"));
    field.send_keys(text).await.expect("typed");
}

async fn click(b: &Browser, css: &str) {
    b.client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .expect("clicked");
}

async fn jars_go_round_through_the_pages() {
    let app = spawn_app(Backend::Sqlite).await;
    let l = small_loop(&app).await;
    let jars = app
        .commission(&l.jar, &l.washer, 4, "2026-01-10T00:00:00Z")
        .await;
    let refs: Vec<&str> = jars.iter().map(String::as_str).collect();
    let s = ship(
        &app,
        &l.washer,
        &l.producer,
        &refs,
        "2026-01-11T08:00:00Z",
        8.0,
        "van",
    )
    .await;
    receive(&app, &s, "2026-01-11T10:00:00Z").await;
    for j in &jars {
        scan(&app, j, "fill", &l.producer, "2026-01-12T08:00:00Z").await;
    }
    let s = ship(
        &app,
        &l.producer,
        &l.shop,
        &refs,
        "2026-01-13T08:00:00Z",
        20.0,
        "van",
    )
    .await;
    receive(&app, &s, "2026-01-13T10:00:00Z").await;
    for j in &jars {
        scan(&app, j, "return", &l.shop, "2026-01-20T10:00:00Z").await;
    }
    ship(
        &app,
        &l.shop,
        &l.washer,
        &refs,
        "2026-01-21T08:00:00Z",
        9.0,
        "van",
    )
    .await;
    app.user("washer", Some(&l.washer), "laveur@loop.test");
    app.user("producer", Some(&l.producer), "laiterie@loop.test");

    // The washer receives the collection whole, then washes it; one jar is broken.
    let b = Browser::start().await;
    b.sign_in(&app.address, "/receive", "laveur@loop.test", PASSWORD)
        .await;
    assert_eq!(b.text("#inbound tbody td.num").await, "4");
    click(&b, "#inbound a").await;
    b.wait_until("document.getElementById('missing-count')")
        .await;
    click(&b, "button[value='yes']").await;
    b.wait_until("document.getElementById('complete')").await;
    assert_eq!(b.text("#complete").await, "Tout est arrivé.");
    b.goto(&format!("{}/washer", app.address)).await;
    type_into(&b, "codes", &jars.join("\n")).await;
    type_into(&b, "program", "verre 60").await;
    click(&b, "form[action='/washer/batches'] button").await;
    b.wait_until("document.getElementById('inside')").await;
    assert_eq!(b.text("#inside").await, "4");
    type_into(&b, "broken", &jars[3]).await;
    type_into(&b, "water", "120").await;
    click(&b, "form[action$='/complete'] button").await;
    b.wait_until("document.getElementById('washed')").await;
    assert_eq!(
        (b.text("#washed").await, b.text("#rejected").await),
        ("3".to_owned(), "1".to_owned())
    );
    b.screenshot("washer").await;
    assert_eq!(app.container(&jars[3]).await["state"], "retired");

    // Three clean jars leave for the producer, who receives two of them first.
    let clean: Vec<&str> = refs[..3].to_vec();
    // The pages record at the present time; so does this shipment, which follows the
    // batch's end (its start plus at least a second).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let shipment = ship(&app, &l.washer, &l.producer, &clean, &now, 8.0, "van").await;
    let b2 = Browser::start().await;
    b2.sign_in(&app.address, "/producer", "laiterie@loop.test", PASSWORD)
        .await;
    let row = format!("#stock tr[data-type='{}']", l.jar);
    assert_eq!(
        (
            b2.text(&format!("{row} .clean")).await,
            b2.text(&format!("{row} .inbound")).await
        ),
        ("0".to_owned(), "3".to_owned())
    );
    b2.goto(&format!("{}/receive/{shipment}", app.address))
        .await;
    type_into(&b2, "codes", &format!("{}\n{}\n", jars[0], jars[1])).await;
    click(&b2, "button[value='no']").await;
    b2.wait_until("document.getElementById('missing-count') && document.getElementById('missing-count').textContent === '1'").await;
    assert_eq!(b2.text("#missing").await, jars[2]);
    b2.screenshot("receive").await;

    // Filling the two, then shipping them to the shop.
    b2.goto(&format!("{}/producer", app.address)).await;
    assert_eq!(
        (
            b2.text(&format!("{row} .clean")).await,
            b2.text(&format!("{row} .inbound")).await
        ),
        ("2".to_owned(), "1".to_owned())
    );
    type_into(&b2, "fill-codes", &format!("{}\n{}", jars[0], jars[1])).await;
    click(&b2, "form[action='/producer/fill'] button").await;
    b2.wait_until("document.querySelector('p.result.ok')").await;
    assert_eq!(b2.text(&format!("{row} .filled")).await, "2");
    type_into(&b2, "ship-codes", &format!("{}\n{}", jars[0], jars[1])).await;
    b2.client
        .execute(
            &format!("document.getElementById('shop').value = {:?};", l.shop2),
            vec![],
        )
        .await
        .expect("shop chosen");
    click(&b2, "form[action='/producer/ship'] button").await;
    b2.wait_until("document.querySelector('p.result.ok')").await;
    b2.screenshot("producer").await;
    for j in &jars[..2] {
        let c = app.container(j).await;
        assert_eq!(
            (c["state"].as_str(), c["condition"].as_str()),
            (Some("in_transit"), Some("filled")),
            "{j}"
        );
    }
    b.close().await;
    b2.close().await;
}
