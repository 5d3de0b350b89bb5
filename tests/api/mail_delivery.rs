//! Delivery: the weekly digest against the report, a mail server that is not there and one
//! that refuses a mailbox for good.

use std::time::Duration;

use boucle::mail::digest::Period;
use boucle::mail::Kind;
use chrono::{Days, Utc};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{small_loop, Backend};
use crate::mail::{ago, fast_mail, low_stock, set_prefs};
use crate::mailbox::{files, outbox, outbox_until, to_and_subject, wait_for};
use crate::on_both_backends;
use crate::reports::scan;

on_both_backends!(
    the_weekly_digest_gives_the_report_figures_once,
    a_refusing_mail_server_keeps_mails_queued_with_the_error,
    an_address_refused_for_good_is_not_tried_again
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

pub fn closed_port() -> u16 {
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
