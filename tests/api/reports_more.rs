//! More reports on the scripted loop: stock cover, flows, CO2e, return curve.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{small_loop, spawn_app, Backend};
use crate::on_both_backends;
use crate::reports::{close, report, scan, script, ship};

on_both_backends!(
    producers_see_how_many_days_their_clean_containers_last,
    flows_between_sites
);

async fn producers_see_how_many_days_their_clean_containers_last(backend: Backend) {
    let app = spawn_app(backend).await;
    let l = small_loop(&app).await;
    let now = chrono::Utc::now();
    let ago = |days: i64| {
        (now - chrono::Duration::days(days))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    let jars = app.commission(&l.jar, &l.producer, 20, &ago(5)).await;
    let stock = app
        .get(&format!("/api/v1/stock?site_id={}", l.producer))
        .await
        .body;
    assert_eq!(stock[0]["days_of_cover"], Value::Null, "no fill yet");
    for jar in &jars[..14] {
        scan(&app, jar, "fill", &l.producer, &ago(2)).await;
    }
    let coming = app.commission(&l.jar, &l.washer, 2, &ago(5)).await;
    ship(
        &app,
        &l.washer,
        &l.producer,
        &[&coming[0], &coming[1]],
        &ago(1),
        10.0,
        "van",
    )
    .await;
    // 6 clean here and 2 clean on their way, at 14 fills in 28 days (0.5 a day): 16 days.
    let stock = app
        .get(&format!("/api/v1/stock?site_id={}", l.producer))
        .await
        .body;
    assert_eq!(
        (
            stock[0]["clean"].as_i64(),
            stock[0]["inbound"].as_i64(),
            stock[0]["filled"].as_i64()
        ),
        (Some(6), Some(2), Some(14))
    );
    close(&stock[0]["days_of_cover"], 16.0, "days_of_cover");
    let washer = app
        .get(&format!("/api/v1/stock?site_id={}", l.washer))
        .await
        .body;
    assert_eq!(washer, json!([]), "the washer's two jars are on their way");
}

async fn flows_between_sites(backend: Backend) {
    let app = spawn_app(backend).await;
    let s = script(&app).await;
    let r = app
        .get("/api/v1/reports/flows?from=2026-01-01&to=2026-03-01")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let pairs: Vec<(String, String, i64, i64, f64, f64)> = r
        .body
        .as_array()
        .expect("flows")
        .iter()
        .map(|f| {
            (
                f["from_name"].as_str().unwrap_or("").to_owned(),
                f["to_name"].as_str().unwrap_or("").to_owned(),
                f["shipments"].as_i64().unwrap_or(-1),
                f["containers"].as_i64().unwrap_or(-1),
                f["vehicle_km"].as_f64().unwrap_or(-1.0),
                f["container_km"].as_f64().unwrap_or(-1.0),
            )
        })
        .collect();
    let pair = |a: &str, b: &str, n, c, v, k| (a.to_owned(), b.to_owned(), n, c, v, k);
    assert_eq!(
        pairs,
        vec![
            pair("Laiterie Noyal", "Biocoop Rennes", 2, 4, 24.0, 48.0),
            pair("Biocoop Cesson", "Laverie Uzaje", 1, 1, 8.0, 8.0),
            pair("Laverie Uzaje", "Laiterie Noyal", 2, 5, 20.0, 50.0),
        ]
    );
    let till = app.user("shop", Some(&s.l.shop2), "till@cesson.test");
    let own = app
        .get_as(&till, "/api/v1/reports/flows?from=2026-01-01&to=2026-03-01")
        .await
        .body;
    assert_eq!(
        own.as_array().map(Vec::len),
        Some(1),
        "a shop sees the flows it is part of"
    );
}

on_both_backends!(co2e_uses_the_latest_factor_versions);

async fn co2e_uses_the_latest_factor_versions(backend: Backend) {
    let app = spawn_app(backend).await;
    let s = script(&app).await;
    // January with the seeded factors: glass 0.83 kg CO2e/kg for the single-use packaging
    // replaced and for the reusable containers made, a van 0.2853 kg CO2e/km.
    let single_use = (2.0 * 0.025 + 0.040) * 0.83;
    let made = (3.0 * 0.210 + 0.400) * 0.83;
    let jan = report(&app, "from=2026-01-01&to=2026-02-01").await;
    close(
        &jan["avoided_co2e_kg"],
        single_use - 22.0 * 0.2853 - made,
        "January CO2e",
    );
    let used: Vec<&str> = jan["factors"]
        .as_array()
        .expect("factors")
        .iter()
        .map(|f| f["id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(used, vec!["seed-01", "seed-07", "seed-08"]);
    assert_eq!(jan["co2e_missing"], json!([]));
    // February: one use, one wash, a truck (8 km) and vans (10 + 12 km).
    let feb = report(&app, "from=2026-02-01&to=2026-03-01").await;
    close(
        &feb["avoided_co2e_kg"],
        0.025 * 0.83 - 0.0072 - 8.0 * 0.7925 - 22.0 * 0.2853,
        "February CO2e",
    );

    // A coordinator adds a version; old ones stay, reports use the new one.
    let producer = app.user("producer", Some(&s.l.producer), "p@noyal.test");
    let body = json!({"kind": "transport", "subject": "van", "value": 0.25, "source": "Our vans' 2025 fuel bills: 7.9 l/100 km"});
    assert_eq!(
        app.post_as(&producer, "/api/v1/emission-factors", body.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = app.post("/api/v1/emission-factors", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(
        (r.body["version"].as_i64(), r.body["per"].as_str()),
        (Some(2), Some("vehicle_km"))
    );
    let new_id = r.body["id"].as_str().expect("id").to_owned();
    let jan = report(&app, "from=2026-01-01&to=2026-02-01").await;
    close(
        &jan["avoided_co2e_kg"],
        single_use - 22.0 * 0.25 - made,
        "January CO2e with the new version",
    );
    assert!(jan["factors"]
        .as_array()
        .expect("factors")
        .iter()
        .any(|f| f["id"] == new_id.as_str() && f["version"] == 2));
    let all = app.get("/api/v1/emission-factors").await.body;
    let vans: Vec<(i64, bool)> = all
        .as_array()
        .expect("factors")
        .iter()
        .filter(|f| f["subject"] == "van")
        .map(|f| {
            (
                f["version"].as_i64().unwrap_or(0),
                f["current"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    assert_eq!(vans, vec![(1, false), (2, true)]);
    let bad = app
        .post(
            "/api/v1/emission-factors",
            json!({"kind": "transport", "subject": "rocket", "value": 1.0, "source": "x"}),
        )
        .await;
    assert_eq!(
        (bad.status, bad.error()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field")
    );

    // Without a factor for a material, the figure is null and the report says what is missing.
    let pp = app.post("/api/v1/container-types", json!({"name": "Big-bag 1 m3", "material": "polypropylene", "tare_mass_g": 2500.0, "single_use_mass_g": 2500.0})).await;
    let bag_type = pp.body["id"].as_str().expect("type").to_owned();
    let bag = app
        .commission(&bag_type, &s.l.producer, 1, "2026-04-02T08:00:00Z")
        .await
        .remove(0);
    scan(&app, &bag, "fill", &s.l.producer, "2026-04-02T09:00:00Z").await;
    let april = report(&app, "from=2026-04-01&to=2026-05-01").await;
    assert_eq!(april["avoided_co2e_kg"], Value::Null);
    assert_eq!(
        april["co2e_missing"],
        json!([
            "single_use for Big-bag 1 m3 (polypropylene): add one for the type or for the material",
            "reusable for Big-bag 1 m3 (polypropylene): add one for the type or for the material",
        ])
    );
}

on_both_backends!(the_return_curve_counts_trips_still_out_as_censored);

async fn the_return_curve_counts_trips_still_out_as_censored(backend: Backend) {
    let app = spawn_app(backend).await;
    let s = script(&app).await;
    // Four trips at the shop: J1 back after 8 days 23 h, J1 again after 24 days 23 h, J2 and
    // the bottle never (lost, broken): censored. Kaplan-Meier: 3/4 after the first return,
    // 3/4 x 2/3 = 1/2 after the second, which is the median.
    let r = app
        .get(&format!(
            "/api/v1/reports/returns?from=2026-01-01&to=2026-04-01&site_id={}",
            s.l.shop
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let shop = &r.body["shops"][0];
    assert_eq!(
        (
            shop["name"].as_str(),
            shop["trips"].as_i64(),
            shop["returned"].as_i64()
        ),
        (Some("Biocoop Rennes"), Some(4), Some(2))
    );
    close(&shop["return_rate"], 0.5, "return_rate");
    close(&shop["median_days"], 24.0 + 23.0 / 24.0, "median_days");
    let point = |d: i64| {
        shop["curve"]
            .as_array()
            .expect("curve")
            .iter()
            .find(|p| p["days"] == d)
            .cloned()
            .expect("point")
    };
    close(&point(7)["returned_share"], 0.0, "after 7 days");
    close(&point(10)["returned_share"], 0.25, "after 10 days");
    close(&point(28)["returned_share"], 0.5, "after 28 days");
    assert_eq!(point(10)["at_risk"], 3);
    assert_eq!(r.body["all"]["trips"], 4);
    let feb = app
        .get("/api/v1/reports/returns?from=2026-02-01&to=2026-03-01")
        .await
        .body;
    assert_eq!(
        (
            feb["all"]["trips"].as_i64(),
            feb["all"]["returned"].as_i64()
        ),
        (Some(1), Some(1))
    );
}

on_both_backends!(monthly_csv_and_site_users);

async fn monthly_csv_and_site_users(backend: Backend) {
    let app = spawn_app(backend).await;
    let s = script(&app).await;
    let jan = report(&app, "from=2026-01-01&to=2026-02-01").await;
    let feb = report(&app, "from=2026-02-01&to=2026-03-01").await;
    let jan_fleet = jan["fleet_avg"]
        .as_f64()
        .expect("checked by hand in reports.rs");
    // The monthly report gives the same two months.
    let monthly = app
        .get("/api/v1/reports/loop/monthly?from=2026-01-01&to=2026-03-01")
        .await
        .body;
    assert_eq!(monthly.as_array().map(Vec::len), Some(2));
    assert_eq!(
        (monthly[0]["month"].as_str(), monthly[1]["month"].as_str()),
        (Some("2026-01"), Some("2026-02"))
    );
    for (row, alone) in [(&monthly[0], &jan), (&monthly[1], &feb)] {
        for field in boucle::http::reports::FIELDS {
            assert_eq!(row[*field], alone[*field], "{field}");
        }
    }

    // CSV: a header with the same names and one row, nulls as empty cells.
    let csv = app
        .client
        .get(format!(
            "{}/api/v1/reports/loop?from=2026-01-01&to=2026-02-01&format=csv",
            app.address
        ))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("csv");
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.expect("text");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    let header: Vec<&str> = lines[0].split(',').collect();
    let row: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(&header[..4], &["from", "to", "site_id", "type_id"]);
    assert_eq!(&header[4..], boucle::http::reports::FIELDS);
    let cell = |name: &str| row[header.iter().position(|h| *h == name).expect("column")];
    assert_eq!(
        (
            cell("from"),
            cell("uses"),
            cell("avg_cycle_days"),
            cell("vehicle_km")
        ),
        ("2026-01-01", "3", "", "22.0")
    );
    close(
        &json!(cell("fleet_avg").parse::<f64>().expect("number")),
        jan_fleet,
        "csv fleet_avg",
    );
    let legs = app
        .client
        .get(format!(
            "{}/api/v1/reports/loop?from=2026-01-01&to=2026-02-01&format=csv&part=legs",
            app.address
        ))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("text");
    assert_eq!(legs, "from,to,site_id,type_id,from_kind,to_kind,shipments,vehicle_km,container_km\n2026-01-01,2026-02-01,,,producer,shop,1,12.0,36.0\n2026-01-01,2026-02-01,,,washer,producer,1,10.0,40.0\n");

    // A shop user sees its own shop's figures only.
    let till = app.user("shop", Some(&s.l.shop), "till@shop.test");
    let own = app
        .get_as(&till, "/api/v1/reports/loop?from=2026-01-01&to=2026-02-01")
        .await;
    assert_eq!(
        (own.body["site_id"].as_str(), own.body["trips"].as_i64()),
        (Some(s.l.shop.as_str()), Some(3))
    );
    let other = app
        .get_as(
            &till,
            &format!(
                "/api/v1/reports/loop?from=2026-01-01&to=2026-02-01&site_id={}",
                s.l.producer
            ),
        )
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    let bad = app
        .get("/api/v1/reports/loop?from=2026-02-01&to=2026-01-01")
        .await;
    assert_eq!(
        (bad.status, bad.error()),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );
    let missing = app.get("/api/v1/reports/loop?from=2026-02-01").await;
    assert_eq!(missing.message(), "give to=YYYY-MM-DD");
}
