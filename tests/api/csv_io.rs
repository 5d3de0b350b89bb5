//! CSV imports (all-or-nothing, each bad row named by line and column) and exports, through
//! the API and the command line.

use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{fresh_database, small_loop, spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_fleet_moves_in_from_spreadsheets,
    a_bad_row_stops_the_import_and_names_itself
);

pub async fn send_csv(app: &TestApp, path: &str, text: &str) -> (StatusCode, Value) {
    let r = app
        .client
        .post(format!("{}{path}", app.address))
        .bearer_auth(&app.token)
        .header("Content-Type", "text/csv")
        .body(text.to_owned())
        .send()
        .await
        .expect("sent");
    let status = r.status();
    (status, r.json().await.expect("json"))
}

pub async fn get_csv(app: &TestApp, path: &str) -> String {
    let r = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    r.text().await.expect("text")
}

async fn count(app: &TestApp, path: &str) -> usize {
    app.get(path).await.body.as_array().map_or(0, Vec::len)
}

const SITES: &str = "id,name,kind,lat,lon,address,email
0192f0bb-0000-7000-8000-000000000001,Biocoop Rennes,shop,48.11,-1.68,1 rue de Paris,rennes@biocoop.test
,Laverie Uzaje,washer,48.05,-1.70,,
,Laiterie Noyal,producer,\"48,11\",-1.52,,
";

async fn a_fleet_moves_in_from_spreadsheets(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, body) = send_csv(&app, "/api/v1/import/sites", SITES).await;
    assert_eq!(status, StatusCode::OK, "{body:?}");
    assert_eq!(body["imported"], 3);
    let r = app
        .get("/api/v1/sites/0192f0bb-0000-7000-8000-000000000001")
        .await;
    assert_eq!(
        (r.body["name"].as_str(), r.body["email"].as_str()),
        (Some("Biocoop Rennes"), Some("rennes@biocoop.test"))
    );
    let sites = app.get("/api/v1/sites").await.body;
    let noyal = sites
        .as_array()
        .and_then(|l| l.iter().find(|s| s["name"] == "Laiterie Noyal").cloned())
        .expect("imported");
    assert_eq!(noyal["lat"], 48.11, "a decimal comma is read");
    let (status, body) = send_csv(&app, "/api/v1/import/types", "id,name,material,capacity_ml,tare_mass_g,single_use_mass_g\n0192f0bb-0000-7000-8000-0000000000a1,Bocal 370 ml,glass,370,210,25\n").await;
    assert_eq!(
        (status, body["imported"].as_i64()),
        (StatusCode::OK, Some(1))
    );

    // Containers with the codes printed on their labels by another Boucle, and new ones.
    let other = spawn_app(backend).await;
    let l = small_loop(&other).await;
    let printed = other
        .commission(&l.jar, &l.shop, 2, "2026-01-05T08:00:00Z")
        .await;
    let shop = "0192f0bb-0000-7000-8000-000000000001";
    let jar = "0192f0bb-0000-7000-8000-0000000000a1";
    let fleet = format!("code,type_id,site_id,commissioned_at\n{},{jar},{shop},2026-01-05T08:00:00Z\n{},{jar},{shop},\n,{jar},{shop},\n", printed[0], printed[1]);
    let (status, body) = send_csv(&app, "/api/v1/import/containers", &fleet).await;
    assert_eq!(
        (status, body["imported"].as_i64()),
        (StatusCode::OK, Some(3)),
        "{body:?}"
    );
    let c = app.container(&printed[0]).await;
    assert_eq!(
        (
            c["site_id"].as_str(),
            c["state"].as_str(),
            c["condition"].as_str()
        ),
        (Some(shop), Some("at_site"), Some("clean"))
    );

    // The exports: every container by code, every event of the period.
    let containers = get_csv(&app, "/api/v1/export/containers").await;
    let lines: Vec<&str> = containers.lines().collect();
    assert_eq!(lines[0], "code,type_id,state,condition,site_id,dest_site_id,shipment_id,batch_id,uses,retired_reason,last_event_at");
    assert_eq!(lines.len(), 4, "{containers}");
    assert!(
        lines.iter().any(|l| l.starts_with(&format!(
            "{},{jar},at_site,clean,{shop},,,,0,,2026-01-05T08:00:00.000000Z",
            printed[0]
        ))),
        "{containers}"
    );
    let events = get_csv(&app, "/api/v1/export/events?from=2026-01-01&to=2030-01-01").await;
    assert_eq!(
        events.lines().count(),
        1 + 3,
        "a commissioning each: {events}"
    );
    assert!(
        events.lines().nth(1).is_some_and(|l| l.contains(&format!(
            ",{},commission,{shop},,2026-01-05T08:00:00.000000Z,",
            printed[0]
        ))),
        "{events}"
    );
}

async fn a_bad_row_stops_the_import_and_names_itself(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = count(&app, "/api/v1/sites").await;
    let cases = [
        ("sites", "name,kind,lat,lon\nA,shop,48.1,-1.6\nB,shop,48.1x,-1.6\n", "line 3, column lat: \"48.1x\" is not a number; nothing was imported"),
        ("sites", "name,kind,lat,lon\nA,shop,48.1,-1.6\nB,bakery,48.1,-1.6\n", "line 3, column kind: kind \"bakery\" is not a site kind; give one of shop, washer, producer, company, hub; nothing was imported"),
        ("sites", "name,kind,lat,lon,email\nA,shop,48.1,-1.6,a@b\n", "line 2, column email: email \"a@b\" is not an e-mail address; nothing was imported"),
        ("sites", "name,kind,lat\nA,shop,48.1\n", "line 1, column (header): the column lon is missing; the header is name,kind,lat,lon,id,address,email; nothing was imported"),
        ("sites", "id,name,kind,lat,lon\n0192f0bb-0000-7000-8000-000000000009,A,shop,48.1,-1.6\n0192f0bb-0000-7000-8000-000000000009,B,shop,48.1,-1.6\n", "line 3, column id: the id 0192f0bb-0000-7000-8000-000000000009 is given twice in the file; nothing was imported"),
        ("sites", "name,kind,lat,lon\nA,shop,95,-1.6\n", "line 2, column lat: lat 95 / lon -1.6 are not WGS84 coordinates: lat goes from -90 to 90, lon from -180 to 180; nothing was imported"),
        ("types", "name,material,tare_mass_g,single_use_mass_g\nBocal,glass,-2,25\n", "line 2, column tare_mass_g: tare_mass_g must be a number from 0 to 1000000 g, not -2; nothing was imported"),
        ("types", "name,material,tare_mass_g,single_use_mass_g\nBocal,glass,190,1e300\n", "line 2, column single_use_mass_g: single_use_mass_g must be a number from 0 to 1000000 g, not 1e300; nothing was imported"),
        ("containers", "code,type_id,site_id\n,nope,nowhere\n", "line 2, column type_id: no container type has the id nope; import the types first; nothing was imported"),
    ];
    for (what, text, message) in cases {
        let (status, body) = send_csv(&app, &format!("/api/v1/import/{what}"), text).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {body:?}");
        assert_eq!(body["error"], "invalid_row");
        assert_eq!(body["message"], message);
    }
    assert_eq!(
        count(&app, "/api/v1/sites").await,
        before,
        "nothing half-imported"
    );
    let l = small_loop(&app).await;
    let jar = app
        .commission(&l.jar, &l.shop, 1, "2026-01-05T08:00:00Z")
        .await
        .remove(0);
    let misread = format!("{}X", &jar[..jar.len() - 1]);
    let text = format!(
        "code,type_id,site_id\n{misread},{},{}\n{jar},{},{}\n",
        l.jar, l.shop, l.jar, l.shop
    );
    let (_, body) = send_csv(&app, "/api/v1/import/containers", &text).await;
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.starts_with(&format!(
                "line 2, column code: \"{misread}\" is not a container code"
            ))),
        "{body:?}"
    );
    let text = format!("code,type_id,site_id\n{jar},{},{}\n", l.jar, l.shop);
    let (_, body) = send_csv(&app, "/api/v1/import/containers", &text).await;
    assert_eq!(body["message"], format!("line 2, column code: a container with the code {jar} exists already; nothing was imported"));
    let (status, _) = send_csv(&app, "/api/v1/import/routes", "a\n").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

fn boucle(db: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_boucle"))
        .args(args)
        .env("DATABASE_URL", db)
        .env("RUST_LOG", "warn")
        .output()
        .expect("boucle runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_command_line_imports_all_or_nothing_and_exports() {
    let fresh = fresh_database(Backend::Sqlite);
    let file = fresh.dir.join("sites.csv");
    std::fs::write(&file, SITES).expect("file");
    let path = file.display().to_string();
    let (ok, _, err) = boucle(&fresh.url, &["import", "sites", &path]);
    assert!(ok, "{err}");
    assert!(
        err.contains(&format!("imported 3 sites from {path}")),
        "{err}"
    );
    let types = fresh.dir.join("types.csv");
    std::fs::write(&types, "id,name,material,tare_mass_g,single_use_mass_g\n0192f0bb-0000-7000-8000-0000000000a1,Bocal,glass,210,25\n").expect("file");
    assert!(
        boucle(
            &fresh.url,
            &["import", "types", &types.display().to_string()]
        )
        .0
    );
    let bad = fresh.dir.join("fleet.csv");
    std::fs::write(&bad, "type_id,site_id\n0192f0bb-0000-7000-8000-0000000000a1,0192f0bb-0000-7000-8000-000000000001\n0192f0bb-0000-7000-8000-0000000000a1,elsewhere\n").expect("file");
    let (ok, _, err) = boucle(
        &fresh.url,
        &["import", "containers", &bad.display().to_string()],
    );
    assert!(!ok);
    assert!(err.contains("line 3, column site_id: no site has the id elsewhere; import the sites first; nothing was imported"), "{err}");
    let (ok, out, err) = boucle(&fresh.url, &["export", "containers"]);
    assert!(ok, "{err}");
    assert_eq!(out.lines().count(), 1, "the first row was not kept: {out}");
    assert!(err.contains("exported 0 containers"), "{err}");
    // The sites go out with the columns they came in with, ready for another database.
    let (ok, out, err) = boucle(&fresh.url, &["export", "sites"]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "id,name,kind,lat,lon,address,email");
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines.contains(&"0192f0bb-0000-7000-8000-000000000001,Biocoop Rennes,shop,48.11,-1.68,1 rue de Paris,rennes@biocoop.test"), "{out}");
    let (ok, _, err) = boucle(&fresh.url, &["export", "routes"]);
    assert!(
        !ok && err
            .contains("\"routes\" cannot be exported; give events, containers, sites or types"),
        "{err}"
    );
}
