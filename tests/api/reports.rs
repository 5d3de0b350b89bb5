//! The loop's figures on a scripted loop small enough to compute on paper.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{small_loop, spawn_app, Backend, Loop, TestApp};
use crate::on_both_backends;

on_both_backends!(figures_match_the_hand_computed_values);

const DAY: f64 = 1.0;
const HOUR: f64 = DAY / 24.0;

pub struct Script {
    pub l: Loop,
    pub bottle: String,
}

pub async fn ship(
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

pub async fn receive(app: &TestApp, shipment: &str, at: &str) {
    let r = app
        .post(
            &format!("/api/v1/shipments/{shipment}/receive"),
            json!({"at": at}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

pub async fn scan(app: &TestApp, code: &str, action: &str, site: &str, at: &str) {
    let r = app.scan(&app.token, code, action, site, at).await;
    assert_eq!(r["status"], "recorded", "{action} {code} at {at}: {r:?}");
}

/// Three jars and a bottle from commissioning (10 January) to a return on 3 March.
pub async fn script(app: &TestApp) -> Script {
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

pub fn close(got: &Value, expected: f64, what: &str) {
    let v = got
        .as_f64()
        .unwrap_or_else(|| panic!("{what} is {got}, expected {expected}"));
    assert!(
        (v - expected).abs() < 1e-9,
        "{what}: got {v}, expected {expected}"
    );
}

/// Checks every figure of `r` against the hand-computed `expected` (null where None).
pub fn check(r: &Value, expected: &[(&str, Option<f64>)]) {
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

pub async fn report(app: &TestApp, query: &str) -> Value {
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

    // The counters kept with every scan equal a recomputation from the log.
    let mut conn = app.conn();
    let fresh = boucle::db::check::recompute(&mut conn, |_| {}).expect("recompute");
    assert_eq!(
        boucle::db::check::differences(&mut conn, &fresh).expect("compare"),
        Vec::<String>::new()
    );
}
