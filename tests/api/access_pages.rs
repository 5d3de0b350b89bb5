//! Every page of the service, signed in with every role bound to a site, aimed at another
//! part of the loop: refused, or shown with nothing of that part, and nothing of it changes.
//! The routes come from the page router's source, so a page added without a case fails.

use std::collections::BTreeSet;

use reqwest::{header, Method, StatusCode};
use serde_json::json;

use crate::access_parts::{all_right, judge, snapshot, two_parts, Expect, Two};
use crate::helpers::{Backend, PASSWORD};
use crate::on_both_backends;
use crate::pages::{client, hidden, session_cookie};

on_both_backends!(no_role_reaches_another_sites_data_through_the_pages);

/// A form or JSON body to send.
enum Body {
    None,
    Form(Vec<(&'static str, String)>),
    Json(serde_json::Value),
    /// The sign-in form, for this e-mail with a password that is not its own.
    SignIn(String),
    /// The sign-out form of a second session.
    SignOut,
}

/// The page routes as the router declares them: (method, path template).
fn routes() -> BTreeSet<(String, String)> {
    let source = std::fs::read_to_string("src/pages/mod.rs").expect("the page router");
    let flat: String = source.split_whitespace().collect();
    flat.split(".route(\"")
        .skip(1)
        .map(|r| {
            let (path, rest) = r.split_once('"').expect("a path");
            let method = rest
                .split_once("web::")
                .and_then(|(_, m)| m.split_once("()"))
                .map(|(m, _)| m.to_uppercase())
                .expect("a method");
            (method, path.to_owned())
        })
        .collect()
}

/// The cases of one site user: (route template, method, path, body, expectation).
#[rustfmt::skip]
fn cases(t: &Two, email: &str) -> Vec<(&'static str, Method, String, Body, Expect)> {
    use Body::{Form, Json};
    use Expect::*;
    use Method as M;
    let o = &t.other;
    let (code, codes) = (&o.codes[4], format!("{}\n{}", o.codes[4], o.codes[5]));
    let f = |fields: &[(&'static str, &str)]| Form(fields.iter().map(|(k, v)| (*k, (*v).to_owned())).collect());
    vec![
        ("/", M::GET, "/".into(), Body::None, Own),
        ("/sign-in", M::GET, "/sign-in".into(), Body::None, Own),
        // Another part's account with this user's password.
        ("/sign-in", M::POST, "/sign-in".into(), Body::SignIn(o.emails[0].clone()), Refused),
        ("/sign-out", M::POST, "/sign-out".into(), Body::SignOut, Own),
        ("/c/{code}", M::GET, format!("/c/{code}"), Body::None, Catalog),
        ("/c/{code}/scan", M::POST, format!("/c/{}/scan", o.codes[2]), f(&[("action", "receive")]), Open),
        ("/shop", M::GET, format!("/shop?site={}", o.shop), Body::None, Own),
        ("/shop/return", M::POST, "/shop/return".into(), f(&[("site", &o.shop), ("code", code)]), Own),
        ("/shop/scans", M::POST, "/shop/scans".into(), Json(json!({"site": o.shop, "scans": [{"id": "0192f0aa-0000-7000-8000-0000000000cc", "code": code, "at": "2026-11-20T10:00:00Z"}]})), Own),
        ("/shop/collection", M::POST, "/shop/collection".into(), f(&[("site", &o.shop), ("washer", &o.washer)]), Own),
        ("/shop/undo", M::POST, "/shop/undo".into(), f(&[("site", &o.shop), ("id", &o.scans[0])]), Own),
        ("/receive", M::GET, "/receive".into(), Body::None, Own),
        ("/receive", M::GET, format!("/receive?site={}", o.shop), Body::None, Own),
        ("/receive/{id}", M::GET, format!("/receive/{}", o.in_transit), Body::None, Refused),
        ("/receive/{id}", M::POST, format!("/receive/{}", o.in_transit), f(&[("codes", ""), ("all", "1")]), Refused),
        ("/washer", M::GET, format!("/washer?site={}", o.washer), Body::None, Own),
        ("/washer/batches", M::POST, "/washer/batches".into(), f(&[("site", &o.washer), ("codes", &codes)]), Unrecorded),
        ("/washer/batches/{id}", M::GET, format!("/washer/batches/{}", o.batch), Body::None, Refused),
        ("/washer/batches/{id}/complete", M::POST, format!("/washer/batches/{}/complete", o.batch), f(&[]), Refused),
        ("/dashboard", M::GET, "/dashboard".into(), Body::None, Refused),
        ("/dashboard/{what}.csv", M::GET, "/dashboard/loop.csv".into(), Body::None, Refused),
        ("/labels", M::GET, "/labels".into(), Body::None, Refused),
        ("/labels", M::POST, "/labels".into(), f(&[("type_id", &t.mine.jar), ("site_id", &o.producer), ("count", "1")]), Refused),
        ("/labels/print", M::GET, format!("/labels/print?codes={code}"), Body::None, Refused),
        ("/manage", M::GET, "/manage".into(), Body::None, Refused),
        ("/manage/sites", M::POST, "/manage/sites".into(), f(&[("name", "Faux"), ("kind", "shop"), ("lat", "48"), ("lon", "-1")]), Refused),
        ("/manage/routes", M::POST, "/manage/routes".into(), f(&[("from", &o.producer), ("to", &o.shop), ("km", "1")]), Refused),
        ("/manage/types", M::POST, "/manage/types".into(), f(&[("name", "x"), ("material", "glass"), ("tare_mass_g", "1"), ("single_use_mass_g", "1")]), Refused),
        ("/manage/factors", M::POST, "/manage/factors".into(), f(&[("kind", "material"), ("subject", "glass"), ("value", "1"), ("source", "x")]), Refused),
        ("/manage/users", M::POST, "/manage/users".into(), f(&[("email", "x@x.test"), ("role", "shop"), ("site", &o.shop), ("language", "fr"), ("password", email)]), Refused),
        ("/producer", M::GET, format!("/producer?site={}", o.producer), Body::None, Catalog),
        ("/producer/fill", M::POST, "/producer/fill".into(), f(&[("site", &o.producer), ("codes", &codes)]), Catalog),
        ("/producer/ship", M::POST, "/producer/ship".into(), f(&[("site", &o.producer), ("codes", &codes), ("shop", &o.shop)]), Unrecorded),
        ("/assets/{file}", M::GET, "/assets/app.css".into(), Body::None, Open),
        // Another session's answer to a form: not this session's to see.
        ("/done/{key}", M::GET, format!("/done/{}", o.answer), Body::None, Refused),
        ("/labels/made/{key}", M::GET, format!("/labels/made/{}", o.answer), Body::None, Refused),
    ]
}

/// The CSRF token of a session, read off the role's own page.
async fn csrf_of(c: &reqwest::Client, t: &Two, role: &str, cookie: &str) -> String {
    let home = c
        .get(format!("{}/{role}", t.app.address))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .expect("home page");
    assert_eq!(home.status(), StatusCode::OK, "{role}'s page");
    hidden(&home.text().await.expect("page"), "csrf")
}

async fn no_role_reaches_another_sites_data_through_the_pages(backend: Backend) {
    let t = two_parts(backend).await;
    let before = snapshot(&t).await;
    let c = client();
    let mut wrong = Vec::new();
    let mut covered = BTreeSet::new();
    let mut tried = 0;
    for (role, email, _) in &t.users {
        let cookie = session_cookie(&t.app, email).await;
        let csrf = csrf_of(&c, &t, role, &cookie).await;
        for (route, method, path, body, expect) in cases(&t, email) {
            covered.insert((method.to_string(), route.to_owned()));
            // The pages of another role's work are refused whatever they are aimed at.
            let work = ["/shop", "/washer", "/producer"].map(|w| (w, &w[1..]));
            let expect = match work.iter().find(|(w, _)| route.starts_with(w)) {
                Some((_, of)) if of != role => Expect::Refused,
                _ => expect,
            };
            if let Body::SignIn(other) = &body {
                let r = crate::pages::sign_in(&t.app, other, "not theirs").await;
                let (status, text) = (r.status(), r.text().await.expect("body"));
                tried += 1;
                let what = format!("{role} signs in as {other}");
                wrong.extend(judge(&t, &what, other, expect, status, &text));
                continue;
            }
            // Signing out ends a second session, so that the first goes on.
            let (cookie, csrf) = if matches!(body, Body::SignOut) {
                let second = session_cookie(&t.app, email).await;
                let csrf = csrf_of(&c, &t, role, &second).await;
                (second, csrf)
            } else {
                (cookie.clone(), csrf.clone())
            };
            let mut req = c
                .request(method.clone(), format!("{}{path}", t.app.address))
                .header(header::COOKIE, &cookie);
            let sent = match body {
                Body::None | Body::SignIn(_) => path.clone(),
                Body::SignOut => {
                    req = req.form(&[("csrf", &csrf)]);
                    path.clone()
                }
                Body::Form(mut fields) => {
                    fields.push(("csrf", csrf.clone()));
                    fields.push(("once", crate::pages::form_key()));
                    let sent = format!("{path} {fields:?}");
                    req = req.form(&fields);
                    sent
                }
                Body::Json(v) => {
                    let sent = format!("{path} {v}");
                    req = req.header("x-csrf-token", &csrf).json(&v);
                    sent
                }
            };
            let r = req.send().await.expect("request sent");
            let status = r.status();
            let location = r
                .headers()
                .get(header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let text = format!("{location} {}", r.text().await.expect("body"));
            tried += 1;
            let what = format!("{role} {method} {path}");
            if let Some(w) = judge(&t, &what, &sent, expect, status, &text) {
                wrong.push(w);
            }
        }
    }
    all_right(&wrong, tried);
    let missing: Vec<_> = routes().difference(&covered).cloned().collect();
    assert!(
        missing.is_empty(),
        "page routes without a case: {missing:?}"
    );
    assert_eq!(snapshot(&t).await, before);
    // The sign-in that was refused counted against the other part's account, not this one.
    let r = crate::pages::sign_in(&t.app, &t.users[0].1, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}
