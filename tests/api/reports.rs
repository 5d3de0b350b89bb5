//! The loop's figures on a scripted loop small enough to compute on paper.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{small_loop, spawn_app, Backend, Loop, TestApp};
use crate::on_both_backends;

on_both_backends!(figures_match_the_hand_computed_values);

const DAY: f64 = 1.0;
const HOUR: f64 = DAY / 24.0;

struct Script {
    l: Loop,
    bottle: String,
}

async fn ship(
    app: &TestApp,
    from: &str,
    to: &str,
    codes: &[&str],
    at: &str,
    km: f64,
    vehicle: &str,
) -> String {
    let r = app.post("/api/v1/shipments", json!({"from_site_id": from, "to_site_id": to, "codes": codes, "departed_at": at, "distance_km": km, "vehicle": vehicle})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert!(
        r.body["results"]
            .as_array()
            .expect("results")
            .iter()
            .all(|x| x["status"] == "recorded"),
        "{:?}",
        r.body
    );
    r.body["id"].as_str().expect("id").to_owned()
}

async fn receive(app: &TestApp, shipment: &str, at: &str) {
    let r = app
        .post(
            &format!("/api/v1/shipments/{shipment}/receive"),
            json!({"at": at}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

async fn scan(app: &TestApp, code: &str, action: &str, site: &str, at: &str) {
    let r = app.scan(&app.token, code, action, site, at).await;
    assert_eq!(r["status"], "recorded", "{action} {code} at {at}: {r:?}");
}

/// Three jars and a bottle from commissioning (10 January) to a return on 3 March.
async fn script(app: &TestApp) -> Script {
    let l = small_loop(app).await;
    let r = app.post("/api/v1/container-types", json!({"name": "Bouteille 75 cl", "material": "glass", "tare_mass_g": 400.0, "single_use_mass_g": 40.0})).await;
    let bottle = r.body["id"].as_str().expect("type").to_owned();
    let jars = app
        .commission(&l.jar, &l.washer, 3, "2026-01-10T00:00:00Z")
        .await;
    let b1 = app
        .commission(&bottle, &l.washer, 1, "2026-01-10T00:00:00Z")
        .await
        .remove(0);
    let (j1, j2, j3) = (jars[0].clone(), jars[1].clone(), jars[2].clone());
    let s = ship(
        app,
        &l.washer,
        &l.producer,
        &[&j1, &j2, &j3, &b1],
        "2026-01-12T12:00:00Z",
        10.0,
        "van",
    )
    .await;
    receive(app, &s, "2026-01-12T14:00:00Z").await;
    for c in [&j1, &j2, &b1] {
        scan(app, c, "fill", &l.producer, "2026-01-15T08:00:00Z").await;
    }
    let s = ship(
        app,
        &l.producer,
        &l.shop,
        &[&j1, &j2, &b1],
        "2026-01-16T09:00:00Z",
        12.0,
        "van",
    )
    .await;
    receive(app, &s, "2026-01-16T11:00:00Z").await;
    scan(app, &j1, "sell", &l.shop, "2026-01-20T10:00:00Z").await;
    scan(app, &j2, "sell", &l.shop, "2026-01-20T11:00:00Z").await;
    scan(app, &j1, "return", &l.shop2, "2026-01-25T10:00:00Z").await;
    scan(app, &j2, "lose", &l.shop, "2026-01-28T10:00:00Z").await;
    scan(app, &b1, "break", &l.shop, "2026-02-02T10:00:00Z").await;
    let s = ship(
        app,
        &l.shop2,
        &l.washer,
        &[&j1],
        "2026-02-03T09:00:00Z",
        8.0,
        "truck",
    )
    .await;
    receive(app, &s, "2026-02-03T10:00:00Z").await;
    let b = app
        .post(
            "/api/v1/wash-batches",
            json!({"site_id": l.washer, "codes": [j1], "started_at": "2026-02-04T08:00:00Z"}),
        )
        .await;
    let done = app
        .post(
            &format!(
                "/api/v1/wash-batches/{}/complete",
                b.body["id"].as_str().expect("batch")
            ),
            json!({"finished_at": "2026-02-04T09:00:00Z"}),
        )
        .await;
    assert_eq!(done.body["washed"], 1, "{:?}", done.body);
    ship(
        app,
        &l.washer,
        &l.producer,
        &[&j1],
        "2026-02-05T08:00:00Z",
        10.0,
        "van",
    )
    .await;
    scan(app, &j1, "fill", &l.producer, "2026-02-05T10:00:00Z").await;
    let s = ship(
        app,
        &l.producer,
        &l.shop,
        &[&j1],
        "2026-02-06T09:00:00Z",
        12.0,
        "van",
    )
    .await;
    receive(app, &s, "2026-02-06T11:00:00Z").await;
    scan(app, &j1, "sell", &l.shop, "2026-02-07T10:00:00Z").await;
    scan(app, &j1, "return", &l.shop, "2026-03-03T10:00:00Z").await;
    Script { l, bottle }
}

fn close(got: &Value, expected: f64, what: &str) {
    let v = got
        .as_f64()
        .unwrap_or_else(|| panic!("{what} is {got}, expected {expected}"));
    assert!(
        (v - expected).abs() < 1e-9,
        "{what}: got {v}, expected {expected}"
    );
}

/// Checks every figure of `r` against the hand-computed `expected` (null where None).
fn check(r: &Value, expected: &[(&str, Option<f64>)]) {
    for (field, value) in expected {
        match value {
            Some(v) => close(&r[*field], *v, field),
            None => assert!(
                r[*field].is_null(),
                "{field} should be null, is {}",
                r[*field]
            ),
        }
    }
}

async fn report(app: &TestApp, query: &str) -> Value {
    let r = app.get(&format!("/api/v1/reports/loop?{query}")).await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {:?}", r.body);
    r.body
}

async fn figures_match_the_hand_computed_values(backend: Backend) {
    let app = spawn_app(backend).await;
    let s = script(&app).await;

    // January, 31 days. Four containers from 10 Jan 00:00 (22 days each in the period), one
    // jar lost on 28 Jan 10:00 (3 days 14 h before 1 Feb).
    let jan_fleet = (4.0 * 22.0 - (3.0 * DAY + 14.0 * HOUR)) / 31.0;
    let jan = report(&app, "from=2026-01-01&to=2026-02-01").await;
    assert_eq!(
        (jan["from"].as_str(), jan["to"].as_str()),
        (Some("2026-01-01"), Some("2026-02-01"))
    );
    check(
        &jan,
        &[
            ("uses", Some(3.0)),
            ("first_uses", Some(3.0)),
            ("reuses", Some(0.0)),
            ("fleet_avg", Some(jan_fleet)),
            ("rotations_per_year", Some(3.0 / jan_fleet * 365.0 / 31.0)),
            ("avg_cycle_days", None),
            ("returns", Some(1.0)),
            ("trips", Some(3.0)),
            ("trips_returned", Some(1.0)),
            ("return_rate", Some(1.0 / 3.0)),
            ("broken", Some(0.0)),
            ("lost", Some(1.0)),
            ("breakage_rate", Some(0.0)),
            ("loss_rate", Some(1.0 / 3.0)),
            ("shipments", Some(2.0)),
            ("vehicle_km", Some(22.0)),
            ("container_km", Some(4.0 * 10.0 + 3.0 * 12.0)),
            ("km_per_use", Some(76.0 / 3.0)),
            // Fills: 2 jars x 25 g + 1 bottle x 40 g; minus the lost jar's 210 g.
            (
                "avoided_waste_kg",
                Some((2.0 * 25.0 + 40.0 - 210.0) / 1000.0),
            ),
        ],
    );
    assert_eq!(
        jan["legs"],
        json!([
            {"from_kind": "producer", "to_kind": "shop", "shipments": 1, "vehicle_km": 12.0, "container_km": 36.0},
            {"from_kind": "washer", "to_kind": "producer", "shipments": 1, "vehicle_km": 10.0, "container_km": 40.0},
        ])
    );

    // February, 28 days: 3 alive at its start, the bottle broken on 2 Feb 10:00 (26 days
    // 14 h before 1 March). J1's trip of 6 Feb counts as returned: its return came on 3 March.
    let feb_fleet = (3.0 * 28.0 - (26.0 * DAY + 14.0 * HOUR)) / 28.0;
    let cycle = 21.0 * DAY + 2.0 * HOUR; // J1 filled 15 Jan 08:00, then 5 Feb 10:00
    let feb = report(&app, "from=2026-02-01&to=2026-03-01").await;
    check(
        &feb,
        &[
            ("uses", Some(1.0)),
            ("first_uses", Some(0.0)),
            ("reuses", Some(1.0)),
            ("fleet_avg", Some(feb_fleet)),
            ("rotations_per_year", Some(1.0 / feb_fleet * 365.0 / 28.0)),
            ("avg_cycle_days", Some(cycle)),
            ("returns", Some(0.0)),
            ("trips", Some(1.0)),
            ("trips_returned", Some(1.0)),
            ("return_rate", Some(1.0)),
            ("broken", Some(1.0)),
            ("lost", Some(0.0)),
            ("breakage_rate", Some(1.0)),
            ("loss_rate", Some(0.0)),
            ("shipments", Some(3.0)),
            ("vehicle_km", Some(30.0)),
            ("container_km", Some(30.0)),
            ("km_per_use", Some(30.0)),
            ("avoided_waste_kg", Some((25.0 - 400.0) / 1000.0)),
        ],
    );

    // Across the two months: 20 Jan to 10 Feb, 21 days.
    let across_fleet = (4.0 * 21.0 - (12.0 * DAY + 14.0 * HOUR) - (7.0 * DAY + 14.0 * HOUR)) / 21.0;
    let across = report(&app, "from=2026-01-20&to=2026-02-10").await;
    check(
        &across,
        &[
            ("uses", Some(1.0)),
            ("first_uses", Some(0.0)),
            ("fleet_avg", Some(across_fleet)),
            ("avg_cycle_days", Some(cycle)),
            ("returns", Some(1.0)),
            ("trips", Some(1.0)),
            ("trips_returned", Some(1.0)),
            ("broken", Some(1.0)),
            ("lost", Some(1.0)),
            ("shipments", Some(3.0)),
            ("vehicle_km", Some(30.0)),
            ("avoided_waste_kg", Some((25.0 - 210.0 - 400.0) / 1000.0)),
        ],
    );

    // The shop in January: its trips (J1's counts as returned though it came back at the
    // other shop), the jar lost there, the one shipment that reached it; the fleet stays
    // loop-wide.
    let shop = report(
        &app,
        &format!("from=2026-01-01&to=2026-02-01&site_id={}", s.l.shop),
    )
    .await;
    check(
        &shop,
        &[
            ("uses", Some(0.0)),
            ("fleet_avg", Some(jan_fleet)),
            ("rotations_per_year", Some(0.0)),
            ("returns", Some(0.0)),
            ("trips", Some(3.0)),
            ("trips_returned", Some(1.0)),
            ("lost", Some(1.0)),
            ("loss_rate", None),
            ("shipments", Some(1.0)),
            ("vehicle_km", Some(12.0)),
            ("container_km", Some(36.0)),
            ("km_per_use", None),
            ("avoided_waste_kg", Some(-0.21)),
        ],
    );
    assert_eq!(shop["site_id"], s.l.shop.as_str());

    // Bottles in January: one, on both shipments.
    let bottles = report(
        &app,
        &format!("from=2026-01-01&to=2026-02-01&type_id={}", s.bottle),
    )
    .await;
    check(
        &bottles,
        &[
            ("uses", Some(1.0)),
            ("first_uses", Some(1.0)),
            ("fleet_avg", Some(22.0 / 31.0)),
            ("trips", Some(1.0)),
            ("trips_returned", Some(0.0)),
            ("return_rate", Some(0.0)),
            ("shipments", Some(2.0)),
            ("vehicle_km", Some(22.0)),
            ("container_km", Some(22.0)),
            ("avoided_waste_kg", Some(0.04)),
        ],
    );

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

    // The counters kept with every scan equal a recomputation from the log.
    let mut conn = app.conn();
    let fresh = boucle::db::check::recompute(&mut conn, |_| {}).expect("recompute");
    assert_eq!(
        boucle::db::check::differences(&mut conn, &fresh).expect("compare"),
        Vec::<String>::new()
    );
}

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
