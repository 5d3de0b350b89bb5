//! Through the real SMTP server on loopback that `.ci/run` starts: delivery, two senders on
//! one database sending each mail once, and a kill between queuing and sending.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{fresh_database, small_loop, Backend, TestApp};
use crate::mail::{ago, fast_mail, low_stock};
use crate::mail_delivery::closed_port;
use crate::mailbox::{
    outbox, smtp_received, smtp_url, to_and_subject, wait_for, wait_until_delivered,
};

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
    use boucle::db::audit::By;
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
        create_token(&mut conn, &user, "test", &By::command_line(), now).expect("token")
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
