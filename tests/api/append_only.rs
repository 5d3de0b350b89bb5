//! Events are append-only, and the database itself says so: whatever program connects, it
//! cannot change, delete or (on PostgreSQL) truncate an event; a correction is a new event.

use diesel::prelude::*;
use reqwest::{Method, StatusCode};

use crate::helpers::{small_loop, spawn_app, Backend};
use crate::on_both_backends;

on_both_backends!(the_database_refuses_to_change_or_remove_an_event);

async fn the_database_refuses_to_change_or_remove_an_event(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    let jar = app
        .commission(&l.jar, &l.producer, 1, "2026-01-10T00:00:00Z")
        .await
        .remove(0);
    let fill = app
        .scan(
            &app.token,
            &jar,
            "fill",
            &l.producer,
            "2026-01-12T08:00:00Z",
        )
        .await;
    assert_eq!(fill["status"], "recorded", "{fill:?}");
    let history = app.get(&format!("/api/v1/containers/{jar}/events")).await;
    assert_eq!(history.status, StatusCode::OK, "{:?}", history.body);
    // Commissioning and the fill.
    assert_eq!(app.count_events(), 2);

    let mut refused = Vec::new();
    {
        let mut conn = app.conn();
        let mut attempt = |sql: &str| {
            let err = diesel::sql_query(sql)
                .execute(&mut *conn)
                .expect_err(&format!("{sql} must be refused"));
            refused.push((sql.to_owned(), err.to_string()));
        };
        attempt(&format!("UPDATE events SET site_id = '{}'", l.shop));
        attempt("UPDATE events SET at = recorded_at");
        attempt("DELETE FROM events");
        attempt(&format!(
            "DELETE FROM events WHERE action = 'fill' AND site_id = '{}'",
            l.producer
        ));
        if backend == Backend::Postgres {
            attempt("TRUNCATE events CASCADE");
        }
    }
    for (sql, message) in &refused {
        let verb = match sql.split(' ').next() {
            Some("UPDATE") => "changed",
            Some("DELETE") => "deleted",
            _ => "truncated",
        };
        assert!(
            message.contains(&format!(
                "events are append-only: an event cannot be {verb}; record a new event (an undo) to correct one"
            )),
            "{sql}: {message}"
        );
    }

    // Nothing of what was recorded changed.
    assert_eq!(app.count_events(), 2);
    let after = app.get(&format!("/api/v1/containers/{jar}/events")).await;
    assert_eq!(after.body, history.body);
    assert_eq!(app.container(&jar).await["condition"], "filled");

    // The correction the service offers is a new event: undoing the fill adds one, and the
    // jar is clean again.
    let id = fill["id"].as_str().expect("scan id");
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/scans/{id}/undo"),
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(app.count_events(), 3);
    assert_eq!(app.container(&jar).await["condition"], "clean");
}
