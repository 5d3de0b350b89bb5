//! Two parts of one loop, for the access tests: the first part's site users aim every route
//! at the second part, whose data they must neither read nor change.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{small_loop, spawn_app, Backend, Loop, TestApp};

/// What a user of one part of the loop may get from a route aimed at the other part.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Expect {
    /// 401, 403 or 404.
    Refused,
    /// 200 or 201 with every item `rejected` as `forbidden_site`.
    Rejected,
    /// 2xx, with nothing of the other part.
    Own,
    /// 2xx: the loop's shared catalog (sites, routes, types, factors) and a container's
    /// identity, which any till of the loop must read to take a jar back.
    Catalog,
    /// Open to anyone (no 5xx), with nothing of the other part.
    Open,
    /// 422: a shipment or wash batch of the user's own site, none of whose containers (the
    /// other part's) could be recorded, refused whole with nothing made.
    Unrecorded,
}

/// The other part of the loop: a producer, a shop and a washer with their own users, and
/// what they did.
pub struct Other {
    pub producer: String,
    pub shop: String,
    pub washer: String,
    /// Washing, washing, in transit, in transit, then four clean at the producer.
    pub codes: Vec<String>,
    pub scans: Vec<String>,
    pub received: String,
    pub in_transit: String,
    pub batch: String,
    pub emails: Vec<String>,
    /// The key of a page form its shop sent (a hand-over with nothing dirty left).
    pub answer: String,
}

impl Other {
    /// Strings that belong to the other part only, and where the loop-wide catalog and a
    /// container's identity may show them.
    pub fn markers(&self) -> Vec<(String, bool)> {
        let mut m: Vec<(String, bool)> = [&self.producer, &self.shop, &self.washer]
            .into_iter()
            .chain(&self.codes)
            .map(|s| (s.clone(), true))
            .collect();
        m.extend(
            self.scans
                .iter()
                .chain([&self.received, &self.in_transit, &self.batch])
                .chain(&self.emails)
                .map(|s| (s.clone(), false)),
        );
        m
    }
}

/// Both parts of the loop, the users of the first, and the tokens of its site roles.
pub struct Two {
    pub app: TestApp,
    pub mine: Loop,
    pub other: Other,
    /// (role, e-mail, token) of the first part's site users.
    pub users: Vec<(&'static str, String, String)>,
}

async fn ok(app: &TestApp, method: Method, path: &str, body: Value) -> Value {
    let r = app.send(method, path, Some(&app.token), Some(body)).await;
    assert!(r.status.is_success(), "{path}: {:?}", r.body);
    r.body
}

/// Ships `codes` on day `day` of November; returns the shipment's id.
async fn ship(app: &TestApp, from: &str, to: &str, codes: &[String], day: u32) -> String {
    let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
    let at = format!("2026-11-{day:02}T08:00:00Z");
    crate::reports::ship(app, from, to, &codes, &at, 10.0, "van").await
}

async fn receive(app: &TestApp, id: &str, day: u32) {
    crate::reports::receive(app, id, &format!("2026-11-{day:02}T12:00:00Z")).await;
}

async fn scan_all(
    app: &TestApp,
    codes: &[String],
    action: &str,
    site: &str,
    day: u32,
) -> Vec<String> {
    let at = format!("2026-11-{day:02}T10:00:00Z");
    let scans: Vec<Value> = codes
        .iter()
        .map(|c| json!({"code": c, "action": action, "site_id": site, "at": at}))
        .collect();
    let r = ok(app, Method::POST, "/api/v1/scans", json!({"scans": scans})).await;
    let results = r["results"].as_array().expect("results");
    assert!(results.iter().all(|x| x["status"] == "recorded"), "{r}");
    results
        .iter()
        .map(|x| x["id"].as_str().expect("scan id").to_owned())
        .collect()
}

/// Sets up both parts, each with jars that went round.
pub async fn two_parts(backend: Backend) -> Two {
    let app = spawn_app(backend).await;
    let mine = small_loop(&app).await;
    let producer = app
        .site("Fromagerie de Brest", "producer", 48.39, -4.48)
        .await;
    let shop = app.site("Épicerie de Quimper", "shop", 48.0, -4.1).await;
    let washer = app.site("Laverie de Brest", "washer", 48.4, -4.5).await;
    let users = vec![
        ("shop", mine.shop.clone(), "caisse@rennes.test"),
        ("washer", mine.washer.clone(), "ligne@uzaje.test"),
        ("producer", mine.producer.clone(), "stock@noyal.test"),
    ];
    let users = users
        .into_iter()
        .map(|(role, site, email)| (role, email.to_owned(), app.user(role, Some(&site), email)))
        .collect();
    let mut emails = Vec::new();
    for (role, site, email) in [
        ("shop", &shop, "caisse@quimper.test"),
        ("washer", &washer, "ligne@brest.test"),
        ("producer", &producer, "stock@brest.test"),
    ] {
        app.user(role, Some(site), email);
        emails.push(email.to_owned());
    }

    // The first part: jars filled at its producer, sold at its shop.
    let jars = app
        .commission(&mine.jar, &mine.producer, 4, "2026-11-02T07:00:00Z")
        .await;
    scan_all(&app, &jars[..2], "fill", &mine.producer, 3).await;
    app.commission(&mine.jar, &mine.washer, 1, "2026-11-02T07:00:00Z")
        .await;
    let s = ship(&app, &mine.producer, &mine.shop, &jars[..2], 4).await;
    receive(&app, &s, 4).await;

    // The other part: filled, sold, returned, collected, in the washer; two more on the road.
    let codes = app
        .commission(&mine.jar, &producer, 8, "2026-11-02T07:00:00Z")
        .await;
    let scans = scan_all(&app, &codes[..4], "fill", &producer, 3).await;
    let received = ship(&app, &producer, &shop, &codes[..2], 4).await;
    receive(&app, &received, 4).await;
    scan_all(&app, &codes[..2], "sell", &shop, 5).await;
    scan_all(&app, &codes[..2], "return", &shop, 6).await;
    let collected = ship(&app, &shop, &washer, &codes[..2], 7).await;
    receive(&app, &collected, 7).await;
    let batch =
        json!({"site_id": washer, "codes": &codes[..2], "started_at": "2026-11-08T08:00:00Z"});
    let batch = ok(&app, Method::POST, "/api/v1/wash-batches", batch).await;
    let batch = batch["id"].as_str().expect("batch id").to_owned();
    let in_transit = ship(&app, &producer, &shop, &codes[2..4], 9).await;
    for site in [&producer, &mine.producer] {
        let low = json!({"site_id": site, "type_id": mine.jar, "min_clean": 100});
        ok(&app, Method::PUT, "/api/v1/alerts/low-stock", low).await;
    }
    let answer = crate::pages::form_key();
    let cookie = crate::pages::session_cookie(&app, "caisse@quimper.test").await;
    let c = crate::pages::client();
    let till = c
        .get(format!("{}/shop", app.address))
        .header(reqwest::header::COOKIE, &cookie)
        .send()
        .await
        .expect("till");
    let csrf = crate::pages::hidden(&till.text().await.expect("html"), "csrf");
    let handed = c
        .post(format!("{}/shop/collection", app.address))
        .header(reqwest::header::COOKIE, &cookie)
        .form(&[
            ("csrf", &csrf),
            ("once", &answer),
            ("site", &shop),
            ("washer", &washer),
        ])
        .send()
        .await
        .expect("posted");
    assert_eq!(handed.status(), reqwest::StatusCode::SEE_OTHER);
    Two {
        app,
        mine,
        other: Other {
            producer,
            shop,
            washer,
            codes,
            scans,
            received,
            in_transit,
            batch,
            emails,
            answer,
        },
        users,
    }
}

/// What the coordinator reads of the other part: its containers, shipments and batch, and
/// the number of events of the loop.
pub async fn snapshot(t: &Two) -> (Vec<Value>, i64) {
    let o = &t.other;
    let mut seen = Vec::new();
    for code in &o.codes {
        seen.push(t.app.get(&format!("/api/v1/containers/{code}")).await.body);
    }
    for id in [&o.received, &o.in_transit] {
        seen.push(t.app.get(&format!("/api/v1/shipments/{id}")).await.body);
    }
    seen.push(
        t.app
            .get(&format!("/api/v1/wash-batches/{}", o.batch))
            .await
            .body,
    );
    (seen, t.app.count_events())
}

/// Checks one answer; returns a line describing what is wrong, if anything.
pub fn judge(
    t: &Two,
    what: &str,
    sent: &str,
    expect: Expect,
    status: StatusCode,
    body: &str,
) -> Option<String> {
    let s = status.as_u16();
    let fits = match expect {
        Expect::Refused => matches!(s, 401 | 403 | 404),
        Expect::Own | Expect::Catalog => status.is_success() || s == 303,
        Expect::Open => s < 500,
        Expect::Unrecorded => s == 422,
        Expect::Rejected => {
            let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
            let items = v["results"].as_array().cloned().unwrap_or_default();
            status.is_success()
                && !items.is_empty()
                && items
                    .iter()
                    .all(|r| r["status"] == "rejected" && r["error"]["error"] == "forbidden_site")
        }
    };
    let markers = t.other.markers();
    let leaked: Vec<&str> = markers
        .iter()
        .filter(|(_, shared)| !(expect == Expect::Catalog && *shared))
        .filter(|(m, _)| !sent.contains(m.as_str()) && body.contains(m.as_str()))
        .map(|(m, _)| m.as_str())
        .collect();
    (!fits || !leaked.is_empty()).then(|| {
        format!(
            "{what}: expected {expect:?}, got {s}{}: {}",
            if leaked.is_empty() {
                String::new()
            } else {
                format!(" showing {leaked:?}")
            },
            body.chars().take(300).collect::<String>()
        )
    })
}

/// Fails with every wrong answer, if there is one.
pub fn all_right(wrong: &[String], tried: usize) {
    assert!(
        wrong.is_empty(),
        "{} of {tried} answers are wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
