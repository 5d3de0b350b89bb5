//! Pages over plain HTTP: sign-in with its cookies, the CSRF check, the limit on failed
//! sign-ins, and the public container page behind every QR code.

use reqwest::{header, StatusCode};

use crate::helpers::{small_loop, spawn_app, Backend, TestApp, PASSWORD};

/// A client that keeps no cookies by itself and follows no redirects: the tests read both.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The value of cookie `name` set by the answer.
pub fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

pub fn value_of(cookie: &str) -> &str {
    cookie
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map_or("", |(_, v)| v)
}

/// The `value` of the hidden input `name` in the page.
pub fn hidden(html: &str, name: &str) -> String {
    let at = html.find(&format!("name=\"{name}\"")).expect("the field");
    let rest = &html[at..];
    let v = &rest[rest.find("value=\"").expect("its value") + 7..];
    v[..v.find('"').expect("end of value")].to_owned()
}

/// The key of a form as freshly shown: every page form that records carries one, and a form
/// sent again with the same key records nothing more.
pub fn form_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Posts the sign-in form; returns the answer.
pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    sign_in_via(app, email, password, None).await
}

/// The same, through a proxy that says which scheme the browser used.
async fn sign_in_via(
    app: &TestApp,
    email: &str,
    password: &str,
    proto: Option<&str>,
) -> reqwest::Response {
    let c = client();
    let page = c
        .get(format!("{}/sign-in", app.address))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    let form_cookie = set_cookie(&page, "boucle_sign_in").expect("the form's cookie");
    let html = page.text().await.expect("html");
    let token = hidden(&html, "form_token");
    c.post(format!("{}/sign-in", app.address))
        .header("x-forwarded-proto", proto.unwrap_or("http"))
        .header(header::COOKIE, form_cookie.split(';').next().unwrap_or(""))
        .form(&[
            ("form_token", token.as_str()),
            ("next", "/shop"),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .expect("posted")
}

#[tokio::test]
async fn signing_in_sets_a_guarded_session_cookie() {
    let app = spawn_app(Backend::Sqlite).await;
    let l = small_loop(&app).await;
    app.user("shop", Some(&l.shop), "caisse@loop.test");
    let r = client()
        .get(format!("{}/shop", app.address))
        .send()
        .await
        .expect("till");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], "/sign-in?next=%2Fshop");

    let r = sign_in(&app, "caisse@loop.test", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], "/shop");
    let session = set_cookie(&r, "boucle_session").expect("a session cookie");
    assert!(
        session.contains("HttpOnly")
            && session.contains("SameSite=Lax")
            && session.contains("Path=/"),
        "{session}"
    );
    assert!(!session.contains("Secure"), "plain HTTP here: {session}");
    // Behind a proxy that ends HTTPS, the cookie is sent over HTTPS only.
    assert!(set_cookie(
        &sign_in_via(&app, "caisse@loop.test", PASSWORD, Some("https")).await,
        "boucle_session"
    )
    .expect("cookie")
    .contains("; Secure"));
    let cookie = format!("boucle_session={}", value_of(&session));
    let till = client()
        .get(format!("{}/shop", app.address))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .expect("till");
    assert_eq!(till.status(), StatusCode::OK);
    let csp = till.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("csp")
        .to_owned();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let html = till.text().await.expect("html");
    assert!(html.contains("Biocoop Rennes"), "the till names its shop");
    let csrf = hidden(&html, "csrf");

    // A form without the session's token records nothing.
    let forged = client()
        .post(format!("{}/shop/return", app.address))
        .header(header::COOKIE, &cookie)
        .form(&[
            ("csrf", "forged"),
            ("site", l.shop.as_str()),
            ("code", "ZW-9999-9999"),
        ])
        .send()
        .await
        .expect("posted");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(forged
        .text()
        .await
        .expect("html")
        .contains("Ce formulaire ne vient pas de cette session"));
    let before = app.count_events();

    // Signing out ends the session: the cookie opens nothing any more.
    let out = sign_out(&app, &cookie, &csrf).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let again = client()
        .get(format!("{}/shop", app.address))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .expect("till");
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count_events(), before);
    // Signing in again clears the ended session away.
    sign_in(&app, "caisse@loop.test", PASSWORD).await;
    assert_eq!(ended_sessions(&app), 0);
}

#[tokio::test]
async fn repeated_wrong_passwords_make_sign_in_wait() {
    let app = spawn_app(Backend::Sqlite).await;
    let l = small_loop(&app).await;
    app.user("shop", Some(&l.shop), "caisse@loop.test");
    for _ in 0..5 {
        let r = sign_in(&app, "caisse@loop.test", "wrong").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r
            .text()
            .await
            .expect("html")
            .contains("L'adresse e-mail ou le mot de passe est faux."));
    }
    // The right password now waits too, a minute: the limit is on the e-mail from this
    // address, not on the password.
    let r = sign_in(&app, "caisse@loop.test", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(set_cookie(&r, "boucle_session").is_none());
    assert!(r
        .text()
        .await
        .expect("html")
        .contains("Trop d'essais manqués : réessayez dans 1 min."));
    // Another user is not held up.
    app.user("shop", Some(&l.shop2), "autre@loop.test");
    let r = sign_in(&app, "autre@loop.test", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_public_page_tells_what_the_container_saved_and_where_it_goes_back() {
    let app = spawn_app(Backend::Sqlite).await;
    let l = small_loop(&app).await;
    let jar = app
        .commission(&l.jar, &l.producer, 1, "2026-01-10T00:00:00Z")
        .await
        .remove(0);
    crate::reports::scan(&app, &jar, "fill", &l.producer, "2026-01-11T08:00:00Z").await;
    let page = client()
        .get(format!("{}/c/{jar}", app.address))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(
        html.contains(&format!("<h1>Bocal 370 ml {jar}</h1>")),
        "{html}"
    );
    // One fill of a jar that replaces 25 g of single-use packaging.
    assert!(html.contains("<dd id=\"uses\">1</dd>"), "{html}");
    assert!(html.contains("<dd id=\"saved\">25 g</dd>"), "{html}");
    for shop in ["Biocoop Rennes", "Biocoop Cesson"] {
        assert!(html.contains(shop), "{shop} is listed");
    }
    assert!(
        !html.contains("Laiterie Noyal"),
        "only shops take containers back"
    );
    assert!(!html.contains("@loop.test"), "no personal data");
    let missing = client()
        .get(format!("{}/c/ZW-9999-9999", app.address))
        .send()
        .await
        .expect("page");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing
        .text()
        .await
        .expect("html")
        .contains("Aucun contenant de la boucle n'a ce code."));
}

fn ended_sessions(app: &TestApp) -> i64 {
    use boucle::db::schema::web_sessions;
    use diesel::prelude::*;
    let mut conn = app.conn();
    web_sessions::table
        .filter(web_sessions::ended_at.is_not_null())
        .count()
        .get_result(&mut *conn)
        .expect("count")
}

/// Posts the sign-out form of the session of `cookie`.
pub async fn sign_out(app: &TestApp, cookie: &str, csrf: &str) -> reqwest::Response {
    client()
        .post(format!("{}/sign-out", app.address))
        .header(header::COOKIE, cookie)
        .form(&[("csrf", csrf)])
        .send()
        .await
        .expect("signed out")
}

/// The `Cookie` header of a browser signed in as `email`.
pub async fn session_cookie(app: &TestApp, email: &str) -> String {
    let r = sign_in(app, email, PASSWORD).await;
    let session = set_cookie(&r, "boucle_session").expect("a session cookie");
    format!("boucle_session={}", value_of(&session))
}
