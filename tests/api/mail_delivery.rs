//! Delivery: the weekly digest against the report, a mail server that refuses, and a real
//! SMTP server on loopback (started by `.ci/run`) receiving each mail exactly once, with two
//! senders on one database and across a crash.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use boucle::mail::digest::Period;
use boucle::mail::Kind;
use chrono::{Days, Utc};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{fresh_database, small_loop, Backend, TestApp};
use crate::mail::{ago, fast_mail, low_stock, set_prefs};
use crate::mailbox::{
    files, outbox, outbox_until, smtp_received, smtp_url, to_and_subject, wait_for,
    wait_until_delivered,
};
use crate::on_both_backends;
use crate::reports::scan;

on_both_backends!(
    the_weekly_digest_gives_the_report_figures_once,
    a_refusing_mail_server_keeps_mails_queued_with_the_error,
    an_address_refused_for_good_is_not_tried_again
);

/// Tests through the real SMTP server: skipped, saying so, when none is given.
macro_rules! with_smtp {
    ($($f:ident),+ $(,)?) => {$(
        mod $f {
            #[tokio::test]
            #[cfg_attr(not(boucle_smtp), ignore = "SMTP runs skipped: set BOUCLE_TEST_SMTP_URL (see .ci/smtp.sh) to run them")]
            async fn sqlite() {
                super::$f($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test]
            #[cfg_attr(not(all(boucle_smtp, boucle_postgres)), ignore = "SMTP or PostgreSQL runs skipped: set BOUCLE_TEST_SMTP_URL and BOUCLE_TEST_POSTGRES_URL to run them")]
            async fn postgres() {
                super::$f($crate::helpers::Backend::Postgres).await
            }
        }
    )+};
}

with_smtp!(
    mails_reach_a_real_smtp_server,
    two_senders_deliver_each_mail_once,
    a_crash_between_queuing_and_sending_delivers_once
);

async fn the_weekly_digest_gives_the_report_figures_once(backend: Backend) {
    // The first round ran at start, on an empty loop: no digest then.
    let app = fast_mail(backend, &[("ALERT_SWEEP_SECS", "3600")]).await;
    let l = small_loop(&app).await;
    let ana = app.user("coordinator", None, "ana@loop.test");
    set_prefs(&app, &ana, json!({"language": "en"})).await;
    app.user("producer", Some(&l.producer), "lea@laiterie.test");
    let week = Period::last_due(Kind::DigestWeekly, Utc::now().naive_utc(), 6);
    let at = |days: u64, hour: u32| {
        (week.from + Days::new(days))
            .and_hms_opt(hour, 0, 0)
            .expect("a time")
            .and_utc()
            .to_rfc3339()
    };
    // Three jars commissioned at the producer on the Monday, two filled on Tuesday and one on
    // Wednesday: 3 uses, all first uses. Nothing happened the week before.
    let jars = app.commission(&l.jar, &l.producer, 3, &at(0, 8)).await;
    scan(&app, &jars[0], "fill", &l.producer, &at(1, 9)).await;
    scan(&app, &jars[1], "fill", &l.producer, &at(1, 10)).await;
    scan(&app, &jars[2], "fill", &l.producer, &at(2, 9)).await;

    // A second instance starts; its first round queues the week's digest.
    app.another_instance(&[
        ("MAIL_POLL_SECS", "0.05".into()),
        ("ALERT_SWEEP_SECS", "3600".into()),
    ]);
    let is_weekly = |s: &str| {
        s.starts_with("Boucle : bilan de la semaine") || s.starts_with("Boucle: the week")
    };
    let mails: Vec<_> = wait_for(2, || {
        files(&app)
            .into_iter()
            .filter(|m| is_weekly(&m.subject))
            .collect()
    })
    .await;
    let last = week.to - Days::new(1);
    let fr = format!(
        "Boucle : bilan de la semaine du {} au {}",
        week.from.format("%d/%m/%Y"),
        last.format("%d/%m/%Y")
    );
    let en = format!("Boucle: the week of {} to {}", week.from, last);
    assert_eq!(
        to_and_subject(&mails),
        vec![
            ("ana@loop.test".to_owned(), en),
            ("coord@loop.test".to_owned(), fr)
        ]
    );
    let coord = &mails[1];
    let row = |label: &str, now: &str, before: &str, change: &str| {
        format!("{label:<36} {now:>12} {before:>12}  {change}\n")
    };
    for (label, now, before, change) in [
        ("Utilisations (remplissages)", "3", "0", "+3"),
        ("Premières utilisations", "3", "0", "+3"),
        ("Réutilisations", "0", "0", "0"),
        ("Km parcourus (véhicules)", "0", "0", "0"),
    ] {
        let line = row(label, now, before, change);
        assert!(coord.text.contains(&line), "{line:?} not in {}", coord.text);
    }
    assert!(
        mails[0].text.contains(&row("Uses (fills)", "3", "0", "+3")),
        "{}",
        mails[0].text
    );
    let html = coord.html.as_deref().expect("an HTML part");
    assert!(html.contains("<td style=\"padding:2px 8px\">Utilisations (remplissages)</td><td style=\"text-align:right;padding:2px 8px\">3</td>"), "{html}");
    // The attached CSV is the report's own.
    let (name, csv) = coord.attachment.clone().expect("a CSV attached");
    assert_eq!(name, format!("boucle-{}-{}.csv", week.from, week.to));
    let report = app
        .client
        .get(format!(
            "{}/api/v1/reports/loop?from={}&to={}&format=csv",
            app.address, week.from, week.to
        ))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("report");
    assert_eq!(csv, report.text().await.expect("csv"));
    assert!(
        csv.lines()
            .nth(1)
            .is_some_and(|l| l.starts_with(&format!("{},{},,,3,3,0,", week.from, week.to))),
        "{csv}"
    );

    // A third instance starting finds the digest queued already.
    app.another_instance(&[
        ("MAIL_POLL_SECS", "0.05".into()),
        ("ALERT_SWEEP_SECS", "3600".into()),
    ]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let weekly = outbox(&app, "")
        .await
        .into_iter()
        .filter(|m| m["kind"] == "digest_weekly")
        .count();
    assert_eq!(weekly, 2, "one per coordinator");
}

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    l.local_addr().expect("address").port()
}

async fn a_refusing_mail_server_keeps_mails_queued_with_the_error(backend: Backend) {
    let smtp = format!("smtp://127.0.0.1:{}", closed_port());
    let app = fast_mail(
        backend,
        &[
            ("SMTP_URL", &smtp),
            ("MAIL_MAX_ATTEMPTS", "2"),
            ("MAIL_RETRY_SECS", "0.05"),
        ],
    )
    .await;
    let l = small_loop(&app).await;
    let jars = app.commission(&l.jar, &l.producer, 1, &ago(1.0)).await;
    let body = low_stock(&app, &l, 5).await;
    assert_eq!(body["low"], true);
    let failed = outbox_until(&app, "failed", |m| !m.is_empty()).await;
    assert_eq!(failed.len(), 1, "{:?}", outbox(&app, "").await);
    let mail = &failed[0];
    assert_eq!(mail["to"], "coord@loop.test");
    assert_eq!(mail["attempts"], 2);
    let error = mail["last_error"].as_str().expect("the error kept");
    assert!(
        error.starts_with("the SMTP server refused or did not answer"),
        "{error}"
    );
    // Nothing else fails meanwhile.
    scan(&app, &jars[0], "fill", &l.producer, &ago(0.5)).await;
    // Put back in the queue, it is tried again (and fails again against the same server).
    let id = mail["id"].as_str().expect("id");
    let r = app
        .post(&format!("/api/v1/outbox/{id}/retry"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["attempts"], 0);
    let r = app
        .post(
            &format!("/api/v1/outbox/{}/retry", uuid::Uuid::new_v4()),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let failed = outbox_until(&app, "failed", |m| {
        m.first().is_some_and(|m| m["attempts"] == 2)
    })
    .await;
    assert_eq!(failed[0]["attempts"], 2);
}

/// An SMTP server on loopback that refuses every recipient for good (550), as a server does
/// for a mailbox that does not exist. Returns its URL.
async fn refusing_server() -> String {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 refusing.test ESMTP\r\n").await.ok();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let answer: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" | "MAIL" | "RSET" | "NOOP" => b"250 ok\r\n",
                        "RCPT" => b"550 5.1.1 no such mailbox here\r\n",
                        "QUIT" => b"221 bye\r\n",
                        _ => b"502 not here\r\n",
                    };
                    write.write_all(answer).await.ok();
                    if verb == "QUIT" {
                        break;
                    }
                }
            });
        }
    });
    format!("smtp://127.0.0.1:{port}")
}

async fn an_address_refused_for_good_is_not_tried_again(backend: Backend) {
    let smtp = refusing_server().await;
    let app = fast_mail(backend, &[("SMTP_URL", &smtp), ("MAIL_RETRY_SECS", "0.05")]).await;
    let l = small_loop(&app).await;
    app.commission(&l.jar, &l.producer, 1, &ago(1.0)).await;
    assert_eq!(low_stock(&app, &l, 5).await["low"], true);
    let failed = outbox_until(&app, "failed", |m| !m.is_empty()).await;
    assert_eq!(failed.len(), 1, "{:?}", outbox(&app, "").await);
    assert_eq!(failed[0]["attempts"], 1, "not tried again");
    let error = failed[0]["last_error"].as_str().expect("the error kept");
    assert!(
        error.starts_with("the SMTP server refused this mail for good"),
        "{error}"
    );
    assert!(error.contains("no such mailbox here"), "{error}");
}

fn unique(name: &str) -> String {
    format!(
        "{name}-{}@loop.test",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    )
}

async fn smtp_app(backend: Backend) -> TestApp {
    fast_mail(
        backend,
        &[("SMTP_URL", &smtp_url()), ("MAIL_POLL_SECS", "0.02")],
    )
    .await
}

async fn mails_reach_a_real_smtp_server(backend: Backend) {
    let app = smtp_app(backend).await;
    let l = small_loop(&app).await;
    let lea = unique("lea");
    app.user("producer", Some(&l.producer), &lea);
    app.commission(&l.jar, &l.producer, 1, &ago(1.0)).await;
    let body = low_stock(&app, &l, 2).await;
    assert_eq!(body["low"], true);
    let got = wait_for(1, || smtp_received(std::slice::from_ref(&lea))).await;
    assert_eq!(got.len(), 1);
    let mail = &got[0];
    assert_eq!(mail.subject, "Stock bas : Bocal 370 ml chez Laiterie Noyal");
    assert!(
        mail.text
            .contains("Laiterie Noyal n'a plus que 1 contenant(s) « Bocal 370 ml » propres"),
        "{}",
        mail.text
    );
    let sent = outbox(&app, "sent").await;
    let row = sent
        .iter()
        .find(|m| m["to"] == lea.as_str())
        .expect("the outbox row");
    assert_eq!(
        mail.message_id,
        format!("<{}@boucle>", row["id"].as_str().expect("id"))
    );
    assert!(mail
        .list_unsubscribe
        .as_deref()
        .is_some_and(|u| u.starts_with("<https://boucle.test/unsubscribe/")));
}

async fn two_senders_deliver_each_mail_once(backend: Backend) {
    let app = smtp_app(backend).await;
    app.another_instance(&[("SMTP_URL", smtp_url()), ("MAIL_POLL_SECS", "0.02".into())]);
    let l = small_loop(&app).await;
    let people: Vec<String> = (0..30).map(|i| unique(&format!("p{i}"))).collect();
    for p in &people {
        app.user("producer", Some(&l.producer), p);
    }
    app.commission(&l.jar, &l.producer, 1, &ago(1.0)).await;
    let body = low_stock(&app, &l, 2).await;
    assert_eq!(body["low"], true);
    wait_until_delivered(&app).await;
    let got = wait_for(30, || smtp_received(&people)).await;
    assert_eq!(got.len(), 30, "{:?}", to_and_subject(&got));
    let mut ids: Vec<&str> = got.iter().map(|m| m.message_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 30);
    let sent = outbox(&app, "sent").await;
    assert_eq!(sent.len(), 31, "30 producers and the coordinator");
    assert!(sent.iter().all(|m| m["attempts"] == 1), "{sent:?}");
}

/// `boucle serve` as its own process, mails polled every `poll` seconds.
fn serve(db: &str, port: u16, poll: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_boucle"))
        .arg("serve")
        .env("DATABASE_URL", db)
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("BASE_URL", "https://boucle.test")
        .env("SMTP_URL", smtp_url())
        .env("MAIL_POLL_SECS", poll)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("boucle serve starts")
}

async fn until_up(client: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if client
            .get(format!("{base}/api/v1/health"))
            .send()
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("boucle serve did not answer at {base}");
}

async fn a_crash_between_queuing_and_sending_delivers_once(backend: Backend) {
    use boucle::db::auth::{create_token, hash_password, insert_user};
    let fresh = fresh_database(backend);
    let db = boucle::db::Db::connect(&fresh.url, 1).expect("database");
    db.migrate().expect("migrations");
    let coordinator = unique("coord");
    let token = {
        let mut conn = db.write_conn().expect("connection");
        let now = boucle::db::catalog::now();
        let user = boucle::db::models::User {
            id: uuid::Uuid::now_v7().to_string(),
            email: coordinator.clone(),
            role: "coordinator".into(),
            site_id: None,
            password_hash: hash_password("long enough secret").expect("hash"),
            created_at: now,
        };
        insert_user(&mut conn, &user).expect("user");
        create_token(&mut conn, &user.id, "test", now).expect("token")
    };
    let client = reqwest::Client::new();
    let port = closed_port();
    let base = format!("http://127.0.0.1:{port}");
    // Mails are looked for once at start, then not for an hour.
    let mut first = serve(&fresh.url, port, "3600");
    until_up(&client, &base).await;
    let post = |path: &str, body: serde_json::Value| {
        client
            .request(reqwest::Method::POST, format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let r = post(
        "/api/v1/sites",
        json!({"name": "Laiterie Noyal", "kind": "producer", "lat": 48.11, "lon": -1.52}),
    )
    .await
    .expect("site");
    let site: serde_json::Value = r.json().await.expect("json");
    let r = post("/api/v1/container-types", json!({"name": "Bocal 370 ml", "material": "glass", "tare_mass_g": 210.0, "single_use_mass_g": 25.0})).await.expect("type");
    let kind: serde_json::Value = r.json().await.expect("json");
    let r = client
        .put(format!("{base}/api/v1/alerts/low-stock"))
        .bearer_auth(&token)
        .json(&json!({"site_id": site["id"], "type_id": kind["id"], "min_clean": 1}))
        .send()
        .await
        .expect("threshold");
    assert_eq!(r.status(), StatusCode::OK);
    // Queued, then the process is killed before its sender comes round.
    first.kill().expect("killed");
    first.wait().expect("ended");
    {
        use boucle::db::schema::outbox;
        use diesel::prelude::*;
        let mut conn = db.read_conn().expect("connection");
        let rows: Vec<(String, i64)> = outbox::table
            .select((outbox::status, outbox::attempts))
            .load(&mut *conn)
            .expect("outbox");
        assert_eq!(rows, vec![("queued".to_owned(), 0)]);
    }
    assert!(smtp_received(std::slice::from_ref(&coordinator)).is_empty());
    // Restarted: the mail goes out, once.
    let mut second = serve(&fresh.url, port, "0.05");
    until_up(&client, &base).await;
    let got = wait_for(1, || smtp_received(std::slice::from_ref(&coordinator))).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let again = smtp_received(std::slice::from_ref(&coordinator));
    second.kill().expect("killed");
    second.wait().expect("ended");
    assert_eq!(got.len(), 1);
    assert_eq!(again.len(), 1);
    assert_eq!(
        got[0].subject,
        "Stock bas : Bocal 370 ml chez Laiterie Noyal"
    );
}
