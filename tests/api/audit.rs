//! The audit log: every sign-in (page or token, right, wrong or made to wait), sign-out, token
//! made or revoked and user added is written with who, whom, from where and when; only
//! coordinators read it, page by page; and the database refuses to change or remove an entry.

use diesel::prelude::*;
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};

use crate::cli::boucle;
use crate::helpers::{small_loop, spawn_app, Backend, TestApp, PASSWORD};
use crate::on_both_backends;
use crate::pages::{client, hidden, session_cookie, sign_out};

on_both_backends!(sign_ins_tokens_and_users_are_in_the_audit_log);

/// The entries, newest first, as (action, actor, subject, client, detail).
async fn entries(app: &TestApp, query: &str) -> Vec<(String, Value, Value, Value, String)> {
    let r = app.get(&format!("/api/v1/audit{query}")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().expect("action").to_owned(),
                e["actor"].clone(),
                e["subject"].clone(),
                e["client"].clone(),
                e["detail"].as_str().expect("detail").to_owned(),
            )
        })
        .collect()
}

async fn token(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/api/v1/auth/token", app.address))
        .json(&json!({"email": email, "password": password, "name": "till 1"}))
        .send()
        .await
        .expect("sent")
}

async fn sign_ins_tokens_and_users_are_in_the_audit_log(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    let shop_token = app.user("shop", Some(&l.shop), "caisse@loop.test");
    let local = json!("127.0.0.1");

    // Token sign-ins: a wrong password, then the right one, then the token revoked.
    let r = token(&app, "Caisse@Loop.test", "wrong").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = token(&app, "caisse@loop.test", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let made: Value = r.json().await.expect("json");
    let made = made["token"].as_str().expect("token").to_owned();
    let r = app
        .send(Method::DELETE, "/api/v1/auth/token", Some(&made), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    // An unknown e-mail fails like a wrong password, and is written as typed.
    let r = token(&app, "nobody@loop.test", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // The page: a sign-in, and its sign-out.
    let cookie = session_cookie(&app, "caisse@loop.test").await;
    let till = client()
        .get(format!("{}/shop", app.address))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .expect("till");
    let csrf = hidden(&till.text().await.expect("html"), "csrf");
    let out = sign_out(&app, &cookie, &csrf).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);

    let caisse = json!("caisse@loop.test");
    let cli = json!("command line");
    let newest = entries(&app, "").await;
    assert_eq!(
        newest,
        vec![
            (
                "sign_out".into(),
                caisse.clone(),
                caisse.clone(),
                local.clone(),
                "page".into()
            ),
            (
                "sign_in".into(),
                caisse.clone(),
                caisse.clone(),
                local.clone(),
                "page".into()
            ),
            (
                "sign_in_failed".into(),
                Value::Null,
                json!("nobody@loop.test"),
                local.clone(),
                "token: wrong e-mail or password".into()
            ),
            (
                "token_revoked".into(),
                caisse.clone(),
                caisse.clone(),
                local.clone(),
                "the token of the request".into()
            ),
            (
                "token_created".into(),
                caisse.clone(),
                caisse.clone(),
                local.clone(),
                "token \"till 1\"".into()
            ),
            (
                "sign_in_failed".into(),
                Value::Null,
                caisse.clone(),
                local.clone(),
                "token: wrong e-mail or password".into()
            ),
            // The test's own users got their tokens straight from the database's functions.
            (
                "token_created".into(),
                cli.clone(),
                caisse.clone(),
                Value::Null,
                "token \"test\"".into()
            ),
            (
                "token_created".into(),
                cli.clone(),
                json!("coord@loop.test"),
                Value::Null,
                "token \"test\"".into()
            ),
        ]
    );

    // Five failures of an account (the sign-ins forgave the first) make the next try wait,
    // and that is written too.
    for _ in 0..5 {
        token(&app, "caisse@loop.test", "wrong").await;
    }
    let r = token(&app, "caisse@loop.test", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let refused = entries(&app, "?action=sign_in_refused").await;
    assert_eq!(
        refused,
        vec![(
            "sign_in_refused".into(),
            Value::Null,
            caisse.clone(),
            local.clone(),
            "token: too many failed sign-ins".into()
        )]
    );

    // Filters and pages: the account's entries, two at a time, follow on without a gap.
    let all = entries(&app, "?email=Caisse@Loop.test").await;
    assert_eq!(
        all.len(),
        6 + 5 + 1,
        "all but the unknown e-mail's and the coordinator's: {all:?}"
    );
    let first = app
        .get("/api/v1/audit?email=caisse@loop.test&limit=2")
        .await;
    let last_id = first.body[1]["id"].as_str().expect("id").to_owned();
    let second = app
        .get(&format!(
            "/api/v1/audit?email=caisse@loop.test&limit=2&before={last_id}"
        ))
        .await;
    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .expect("list")
            .iter()
            .map(|e| e["id"].as_str().expect("id").to_owned())
            .collect()
    };
    let everything = app.get("/api/v1/audit?email=caisse@loop.test").await;
    assert_eq!(
        [ids(&first.body), ids(&second.body)].concat(),
        ids(&everything.body)[..4]
    );

    // Only coordinators read it; a wrong query says what to give.
    let r = app.get_as(&shop_token, "/api/v1/audit").await;
    assert_eq!((r.status, r.error()), (StatusCode::FORBIDDEN, "forbidden"));
    let r = app.get("/api/v1/audit?action=login").await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );
    assert!(
        r.message().contains("give one of sign_in, sign_in_failed"),
        "{}",
        r.message()
    );
    let r = app.get("/api/v1/audit?before=no-such-entry").await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );
    let r = app.get("/api/v1/audit?limit=0").await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );

    // The database refuses to change or remove an entry, and nothing is lost by trying.
    let count = || -> i64 {
        let mut conn = app.conn();
        boucle::db::schema::audit_log::table
            .count()
            .get_result(&mut *conn)
            .expect("count")
    };
    let before = count();
    {
        let mut conn = app.conn();
        for sql in [
            "UPDATE audit_log SET actor = 'someone else'",
            "DELETE FROM audit_log WHERE action = 'sign_in_failed'",
        ] {
            let err = diesel::sql_query(sql)
                .execute(&mut *conn)
                .expect_err(sql)
                .to_string();
            assert!(err.contains("the audit log is append-only"), "{sql}: {err}");
        }
        if backend == Backend::Postgres {
            let err = diesel::sql_query("TRUNCATE audit_log")
                .execute(&mut *conn)
                .expect_err("truncate")
                .to_string();
            assert!(err.contains("an entry cannot be truncated"), "{err}");
        }
    }
    assert_eq!(count(), before);
    assert_eq!(entries(&app, "?email=caisse@loop.test").await, all);
}

#[test]
fn the_command_line_writes_and_reads_the_audit_log() {
    let fresh = crate::helpers::fresh_database(Backend::Sqlite);
    let db = fresh.url.clone();
    let add: Vec<&str> = "user add --email Coord@Loop.test --role coordinator --password-stdin"
        .split(' ')
        .collect();
    let (ok, _, err) = boucle(&db, &add, "long enough secret\n");
    assert!(ok, "{err}");
    let create = "token create --email coord@loop.test --name laptop";
    let revoke = "token revoke --email coord@loop.test --name laptop";
    // The last has nothing left to revoke: nothing is written.
    let revoke_all = "token revoke --email coord@loop.test";
    for line in [create, create, revoke, revoke_all] {
        let args: Vec<&str> = line.split(' ').collect();
        let (ok, _, err) = boucle(&db, &args, "");
        assert!(ok, "{err}");
    }
    let (ok, out, err) = boucle(&db, &["audit"], "");
    assert!(ok, "{err}");
    let rows: Vec<String> = out
        .lines()
        .map(|l| l.split('\t').skip(1).collect::<Vec<_>>().join(" | "))
        .collect();
    let created = "token_created | command line | coord@loop.test | - | token \"laptop\"";
    assert_eq!(
        rows,
        [
            "action | actor | subject | client | detail",
            "token_revoked | command line | coord@loop.test | - | 2 token(s) named \"laptop\"",
            created,
            created,
            "user_added | command line | coord@loop.test | - | role coordinator",
        ]
    );
    let (ok, out, _) = boucle(
        &db,
        &["audit", "--action", "user_added", "--limit", "1"],
        "",
    );
    assert!(ok);
    assert_eq!(out.lines().count(), 2, "{out}");
    let (ok, _, err) = boucle(&db, &["audit", "--action", "login"], "");
    assert!(!ok);
    assert!(
        err.contains("--action \"login\" is not known; give one of sign_in,"),
        "{err}"
    );
}
