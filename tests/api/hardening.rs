//! The smaller holes an outside review found, each tried again through the real server.

use std::time::Duration;

use reqwest::{header, StatusCode};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::csv_io::{get_csv, send_csv};
use crate::helpers::{small_loop, spawn_app, spawn_app_with, Backend, PASSWORD};
use crate::on_both_backends;
use crate::pages::{client, hidden, set_cookie};

on_both_backends!(names_that_look_like_formulas_stay_text);

#[tokio::test]
async fn sign_in_goes_on_only_to_a_page_of_this_site() {
    let app = spawn_app(Backend::Sqlite).await;
    let c = client();
    for (next, expected) in [
        ("/shop", "/shop"),
        ("/\t/evil.example", "/dashboard"),
        ("//evil.example", "/dashboard"),
        ("/shop\r\nSet-Cookie: stolen=1", "/dashboard"),
    ] {
        let page = c
            .get(format!("{}/sign-in", app.address))
            .query(&[("next", next)])
            .send()
            .await
            .expect("page");
        assert_eq!(page.status(), StatusCode::OK, "{next:?}");
        let form_cookie = set_cookie(&page, "boucle_sign_in").expect("the form's cookie");
        let token = hidden(&page.text().await.expect("html"), "form_token");
        let r = c
            .post(format!("{}/sign-in", app.address))
            .header(header::COOKIE, form_cookie.split(';').next().unwrap_or(""))
            .form(&[
                ("form_token", token.as_str()),
                ("next", next),
                ("email", "coord@loop.test"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .expect("posted");
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(r.headers()[header::LOCATION], expected, "{next:?}");
        assert!(r.headers().get("set-cookie").is_some_and(|_| r
            .headers()
            .get_all("set-cookie")
            .iter()
            .all(|v| !v.to_str().unwrap_or("").contains("stolen"))));
    }
}

async fn names_that_look_like_formulas_stay_text(backend: Backend) {
    let app = spawn_app(backend).await;
    let names = [
        "=HYPERLINK(\"https://evil.example\",\"Facture\")",
        "+33 Vrac",
        "-Cave",
        "@SUM(A1)",
    ];
    for name in names {
        let r = app
            .post(
                "/api/v1/sites",
                json!({"name": name, "kind": "shop", "lat": 48.1, "lon": -1.6, "address": "=1+1"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let text = get_csv(&app, "/api/v1/export/sites").await;
    let mut read = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = read.records().map(|r| r.expect("row")).collect();
    let mut cells: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r[1].to_owned(), r[5].to_owned()))
        .collect();
    cells.sort();
    // Every cell a spreadsheet would run starts with an apostrophe, shown as text; the
    // longitude, a number, is written as it is.
    assert_eq!(
        cells,
        [
            ("'+33 Vrac".to_owned(), "'=1+1".to_owned()),
            ("'-Cave".to_owned(), "'=1+1".to_owned()),
            (
                "'=HYPERLINK(\"https://evil.example\",\"Facture\")".to_owned(),
                "'=1+1".to_owned()
            ),
            ("'@SUM(A1)".to_owned(), "'=1+1".to_owned()),
        ]
    );
    assert!(rows.iter().all(|r| &r[4] == "-1.6"));
    // Imported into another loop, the export gives the same names.
    let other = spawn_app(backend).await;
    let (status, body) = send_csv(&other, "/api/v1/import/sites", &text).await;
    assert_eq!(status, StatusCode::OK, "{body:?}");
    let mut imported: Vec<String> = other
        .get("/api/v1/sites")
        .await
        .body
        .as_array()
        .expect("sites")
        .iter()
        .map(|s| {
            format!(
                "{} / {}",
                s["name"].as_str().unwrap_or(""),
                s["address"].as_str().unwrap_or("")
            )
        })
        .collect();
    imported.sort();
    let mut expected: Vec<String> = names.iter().map(|n| format!("{n} / =1+1")).collect();
    expected.sort();
    assert_eq!(imported, expected);
}

#[tokio::test]
async fn names_are_one_line_and_notices_only_the_pages_own_words() {
    let app = spawn_app(Backend::Sqlite).await;
    let r = app
        .post("/api/v1/sites", json!({"name": "Biocoop\r\nBcc: x@evil.example", "kind": "shop", "lat": 48.1, "lon": -1.6}))
        .await;
    assert_eq!(
        (r.status, r.error(), r.message()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "name holds the control character '\\r'; type it without line breaks, tabs or other control characters"
        )
    );
    let r = app
        .post(
            "/api/v1/sites",
            json!({"name": "x".repeat(201), "kind": "shop", "lat": 48.1, "lon": -1.6}),
        )
        .await;
    assert_eq!(r.message(), "name has 201 characters; give at most 200");
    assert_eq!(app.get("/api/v1/sites").await.body, json!([]));

    // The public page of a jar shows no text its address carries.
    let l = small_loop(&app).await;
    let jar = app
        .commission(&l.jar, &l.shop, 1, "2026-11-02T08:00:00Z")
        .await;
    let page = |done: &str| {
        let url = format!("{}/c/{}?done={done}", app.address, jar[0]);
        async move {
            client()
                .get(url)
                .send()
                .await
                .expect("page")
                .text()
                .await
                .expect("html")
        }
    };
    assert!(!page("Votre%20jarre%20a%20gagn%C3%A9")
        .await
        .contains("gagné"));
    assert!(page("sell")
        .await
        .contains("<p class=\"result ok\" role=\"status\">Vente enregistrée</p>"));
}

#[tokio::test]
async fn the_api_reference_has_the_pages_security_headers() {
    let app = spawn_app(Backend::Sqlite).await;
    for path in ["/api/docs", "/api/docs/swagger-ui-bundle.js"] {
        let r = client()
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .expect("page");
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let h = r.headers();
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().expect("csp");
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(h[header::REFERRER_POLICY], "same-origin");
    }
}

#[tokio::test]
async fn a_body_that_trickles_in_is_cut_off() {
    let app = spawn_app_with(Backend::Sqlite, &[("BODY_TIMEOUT_SECS", "1".to_owned())]).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut tcp = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connected");
    let head = format!(
        "POST /api/v1/scans HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"scans\": [",
        app.token
    );
    tcp.write_all(head.as_bytes()).await.expect("head sent");
    // The rest of the body never comes; the server answers once the second is up.
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), tcp.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server closed the connection");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"error\":\"request_timeout\""), "{text}");
    assert!(
        text.contains("the request's body took more than 1 s to arrive"),
        "{text}"
    );
}

#[tokio::test]
async fn new_codes_tell_nothing_of_each_other() {
    let app = spawn_app(Backend::Sqlite).await;
    let l = small_loop(&app).await;
    let codes = app
        .commission(&l.jar, &l.producer, 200, "2026-11-02T08:00:00Z")
        .await;
    let mut serials: Vec<u64> = codes
        .iter()
        .map(|c| {
            boucle::domain::code::ShortCode::parse(c, "ZW")
                .expect("a code")
                .serial()
        })
        .collect();
    serials.sort_unstable();
    serials.dedup();
    assert_eq!(serials.len(), 200);
    // Drawn over the 2^35 serials, not counted up: no two of them follow each other, and
    // they spread over most of the span (200 uniform draws fall short of 90% of it about
    // once in seven million).
    assert!(serials.windows(2).all(|w| w[1] - w[0] > 1), "{serials:?}");
    let spread = serials[199] - serials[0];
    assert!(spread > (1 << 35) / 10 * 9, "{spread}");
    // A second request draws again, anywhere.
    let more = app
        .commission(&l.jar, &l.producer, 1, "2026-11-02T08:00:00Z")
        .await;
    let next = boucle::domain::code::ShortCode::parse(&more[0], "ZW")
        .expect("a code")
        .serial();
    assert!(!serials.contains(&next) && !serials.contains(&(next - 1)));
}
