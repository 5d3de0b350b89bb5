use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{small_loop, spawn_app, Backend};
use crate::on_both_backends;

on_both_backends!(
    site_users_act_only_at_their_site,
    only_coordinators_manage_the_loop
);

async fn site_users_act_only_at_their_site(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    let other_producer = app.site("Fromagerie", "producer", 48.2, -1.4).await;
    let shop = app.user("shop", Some(&l.shop), "till@biocoop.test");
    let producer = app.user("producer", Some(&l.producer), "stock@noyal.test");
    let washer = app.user("washer", Some(&l.washer), "line@uzaje.test");
    let jars = app
        .commission(&l.jar, &l.producer, 2, "2026-02-02T07:00:00Z")
        .await;
    app.commission(&l.jar, &other_producer, 5, "2026-02-02T07:00:00Z")
        .await;

    // A shop user's scan at another site is refused, the others of the request applied.
    let r = app
        .post_as(
            &shop,
            "/api/v1/scans",
            json!({"scans": [
                {"code": jars[0], "action": "fill", "site_id": l.producer},
                {"code": jars[1], "action": "lose", "site_id": l.shop},
            ]}),
        )
        .await;
    assert_eq!(r.body["results"][0]["error"]["error"], "forbidden_site");
    assert_eq!(
        r.body["results"][0]["error"]["message"],
        "your account records only at its own site, not at Laiterie Noyal"
    );
    // A shop loses only what it holds: this jar is on the producer's premises, so the shop's
    // word is refused and the jar stays where it is; the producer may lose it.
    assert_eq!(
        r.body["results"][1]["error"]["error"],
        "forbidden_container"
    );
    assert_eq!(
        r.body["results"][1]["error"]["message"],
        format!("container {} is at Laiterie Noyal, clean; your account may lose only a container on its site's premises, with a consumer of its shop or on a shipment from or to its site: ask a coordinator", jars[1])
    );
    assert_eq!(app.container(&jars[1]).await["state"], "at_site");
    let r = app
        .post_as(
            &producer,
            "/api/v1/scans",
            json!({"scans": [{"code": jars[1], "action": "lose", "site_id": l.producer}]}),
        )
        .await;
    let lost = &r.body["results"][0]["container"];
    assert_eq!(
        (
            lost["state"].as_str(),
            lost["retired_reason"].as_str(),
            lost["site_id"].as_str()
        ),
        (Some("retired"), Some("lost"), Some(l.producer.as_str()))
    );
    assert_eq!(app.container(&jars[0]).await["uses"], 0);

    // A shop cannot open a wash batch, nor ship from another site.
    let r = app
        .post_as(
            &shop,
            "/api/v1/wash-batches",
            json!({"site_id": l.washer, "codes": [jars[0]]}),
        )
        .await;
    assert_eq!((r.status, r.error()), (StatusCode::FORBIDDEN, "forbidden"));
    assert_eq!(
        r.message(),
        "only washers run wash batches; you are signed in as shop"
    );
    let r = app
        .post_as(
            &shop,
            "/api/v1/shipments",
            json!({"from_site_id": l.producer, "to_site_id": l.shop, "codes": [jars[0]]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post_as(
            &washer,
            "/api/v1/wash-batches",
            json!({"site_id": l.shop, "codes": []}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // A producer sees its own stock, not another producer's.
    let own = app.get_as(&producer, "/api/v1/stock").await;
    assert_eq!(
        own.body.as_array().map(|rows| rows
            .iter()
            .map(|r| r["site_id"].clone())
            .collect::<Vec<_>>()),
        Some(vec![json!(l.producer)])
    );
    assert_eq!(own.body[0]["clean"], 1, "one of its two jars was lost");
    let other = app
        .get_as(
            &producer,
            &format!("/api/v1/stock?site_id={other_producer}"),
        )
        .await;
    assert_eq!(
        (other.status, other.error()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    let all = app.get("/api/v1/stock").await;
    assert_eq!(
        all.body.as_array().map(Vec::len),
        Some(2),
        "a coordinator sees every site"
    );

    // The producer ships to the shop; only the shop receives it.
    let s = app
        .post_as(
            &producer,
            "/api/v1/shipments",
            json!({"from_site_id": l.producer, "to_site_id": l.shop, "codes": [jars[0]]}),
        )
        .await;
    assert_eq!(s.status, StatusCode::CREATED, "{:?}", s.body);
    let sid = s.body["id"].as_str().expect("id");
    let r = app
        .post_as(
            &producer,
            &format!("/api/v1/shipments/{sid}/receive"),
            json!({}),
        )
        .await;
    assert_eq!(
        (r.status, r.message()),
        (
            StatusCode::FORBIDDEN,
            "only the destination receives a shipment: this one goes to Biocoop Rennes, and your account works only at its own site"
        )
    );
    let r = app
        .post_as(
            &shop,
            &format!("/api/v1/shipments/{sid}/receive"),
            json!({}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["missing"].clone()),
        (StatusCode::OK, json!([]))
    );
    let r = app
        .get_as(&washer, &format!("/api/v1/shipments/{sid}"))
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "the washer is neither end of this shipment"
    );

    // A site user reads only the events at its own site.
    let events = app
        .get_as(&shop, &format!("/api/v1/containers/{}/events", jars[0]))
        .await
        .body;
    let seen: Vec<&str> = events
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(seen, vec!["ship", "receive"]);
    let events = app
        .get(&format!("/api/v1/containers/{}/events", jars[0]))
        .await
        .body;
    assert_eq!(events.as_array().map(Vec::len), Some(3));
}

async fn only_coordinators_manage_the_loop(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    let producer = app.user("producer", Some(&l.producer), "stock@noyal.test");
    let admin = app.user("admin", None, "admin@loop.test");
    let site = json!({"name": "X", "kind": "shop", "lat": 48.0, "lon": -1.0});
    let r = app.post_as(&producer, "/api/v1/sites", site.clone()).await;
    assert_eq!(
        (r.status, r.message()),
        (
            StatusCode::FORBIDDEN,
            "only coordinators may create sites; you are signed in as producer"
        )
    );
    let r = app
        .post_as(
            &producer,
            "/api/v1/containers",
            json!({"type_id": l.jar, "site_id": l.producer, "count": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post_as(
            &producer,
            "/api/v1/container-types",
            json!({"name": "B", "material": "glass", "tare_mass_g": 1, "single_use_mass_g": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.post_as(&admin, "/api/v1/sites", site).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        app.get_as(&producer, "/api/v1/sites")
            .await
            .body
            .as_array()
            .map(Vec::len),
        Some(5)
    );
}
