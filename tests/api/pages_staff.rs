//! Staff at work through pages over plain HTTP: actions on a container from its public
//! page, and the till without its script (a form per scan, undo of the last return).

use reqwest::{header, StatusCode};

use crate::helpers::{small_loop, spawn_app, Backend, TestApp};
use crate::pages::{client, hidden, session_cookie};

#[tokio::test]
async fn staff_act_on_a_container_from_its_page() {
    let app = spawn_app(Backend::Sqlite).await;
    let l = small_loop(&app).await;
    let jar = sold_at_the_shop(&app, &l).await;
    app.user("shop", Some(&l.shop), "caisse@loop.test");
    let cookie = session_cookie(&app, "caisse@loop.test").await;
    let page = client()
        .get(format!("{}/c/{jar}", app.address))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .expect("page");
    let html = page.text().await.expect("html");
    for action in [
        "Enregistrer le retour",
        "Enregistrer la vente",
        "Signaler cassé",
    ] {
        assert!(html.contains(action), "{action} offered");
    }
    let csrf = hidden(&html, "csrf");
    let r = client()
        .post(format!("{}/c/{jar}/scan", app.address))
        .header(header::COOKIE, &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "return"),
            ("once", &crate::pages::form_key()),
        ])
        .send()
        .await
        .expect("posted");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()[header::LOCATION],
        format!("/c/{jar}?done=return")
    );
    let c = app.container(&jar).await;
    assert_eq!(
        (c["state"].as_str(), c["condition"].as_str()),
        (Some("at_site"), Some("dirty"))
    );
    // A second return is refused, in words, and changes nothing.
    let r = client()
        .post(format!("{}/c/{jar}/scan", app.address))
        .header(header::COOKIE, &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "return"),
            ("once", &crate::pages::form_key()),
        ])
        .send()
        .await
        .expect("posted");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .expect("html")
        .contains("il est déjà rendu, ou pas encore vendu"));
    // A visitor without a session sees no action.
    let html = client()
        .get(format!("{}/c/{jar}", app.address))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(!html.contains("Enregistrer le retour"));
}

/// A jar filled, shipped to the shop and sold there.
async fn sold_at_the_shop(app: &TestApp, l: &crate::helpers::Loop) -> String {
    let jar = app
        .commission(&l.jar, &l.producer, 1, "2026-01-10T00:00:00Z")
        .await
        .remove(0);
    crate::reports::scan(app, &jar, "fill", &l.producer, "2026-01-10T08:00:00Z").await;
    let s = crate::reports::ship(
        app,
        &l.producer,
        &l.shop,
        &[&jar],
        "2026-01-10T09:00:00Z",
        12.0,
        "van",
    )
    .await;
    crate::reports::receive(app, &s, "2026-01-10T11:00:00Z").await;
    crate::reports::scan(app, &jar, "sell", &l.shop, "2026-01-11T08:00:00Z").await;
    jar
}

#[tokio::test]
async fn the_till_works_without_its_script() {
    let app = spawn_app(Backend::Sqlite).await;
    let l = small_loop(&app).await;
    let jar = sold_at_the_shop(&app, &l).await;
    app.user("shop", Some(&l.shop), "caisse@loop.test");
    let cookie = session_cookie(&app, "caisse@loop.test").await;
    let till = |query: String| {
        let cookie = cookie.clone();
        let url = format!("{}/shop{query}", app.address);
        async move {
            client()
                .get(url)
                .header(header::COOKIE, cookie)
                .send()
                .await
                .expect("till")
                .text()
                .await
                .expect("html")
        }
    };
    let csrf = hidden(&till(String::new()).await, "csrf");
    let post = |path: &'static str, fields: Vec<(&'static str, String)>| {
        let cookie = cookie.clone();
        let url = format!("{}{path}", app.address);
        let mut fields = fields;
        fields.push(("once", crate::pages::form_key()));
        async move {
            client()
                .post(url)
                .header(header::COOKIE, cookie)
                .form(&fields)
                .send()
                .await
                .expect("posted")
        }
    };
    // The hand scanner types the code and Enter; the form posts and the till answers.
    let r = post(
        "/shop/return",
        vec![
            ("csrf", csrf.clone()),
            ("site", l.shop.clone()),
            ("code", jar.to_lowercase()),
        ],
    )
    .await;
    let to = r.headers()[header::LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    assert_eq!(
        to,
        format!(
            "/shop?site={}&last=recorded&code={}",
            crate::pages_manage::encode(&l.shop),
            crate::pages_manage::encode(&jar)
        )
    );
    let html = till(to.trim_start_matches("/shop").to_owned()).await;
    assert!(
        html.contains(&format!("Retour enregistré · {jar}")),
        "{html}"
    );
    assert!(
        html.contains("<strong id=\"tally-count\">1</strong>"),
        "{html}"
    );
    // Undo the last return: the jar is back with its customer, the tally at 0.
    let r = post(
        "/shop/undo",
        vec![("csrf", csrf.clone()), ("site", l.shop.clone())],
    )
    .await;
    let to = r.headers()[header::LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    let html = till(to.trim_start_matches("/shop").to_owned()).await;
    assert!(html.contains(&format!("{jar} · Retour annulé")), "{html}");
    assert!(
        html.contains("<strong id=\"tally-count\">0</strong>"),
        "{html}"
    );
    assert_eq!(app.container(&jar).await["state"], "with_consumer");
    let r = post("/shop/undo", vec![("csrf", csrf), ("site", l.shop.clone())]).await;
    let to = r.headers()[header::LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(to.contains("last=undo_refused"), "{to}");
}
