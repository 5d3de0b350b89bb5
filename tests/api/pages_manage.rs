//! Managing the loop from its page: what a coordinator adds is what the API then lists;
//! a refusal says why and adds nothing; only admins add users.

use reqwest::{header, StatusCode};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::pages::{client, hidden, session_cookie, sign_in};

/// A signed-in browser: its cookie and its form token.
struct Signed {
    cookie: String,
    csrf: String,
}

async fn signed(app: &TestApp, email: &str) -> Signed {
    let cookie = session_cookie(app, email).await;
    let page = client()
        .get(format!("{}/manage", app.address))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    let csrf = hidden(&page.text().await.expect("html"), "csrf");
    Signed { cookie, csrf }
}

/// Posts a form of the management page; returns where it sends back to.
async fn post(app: &TestApp, s: &Signed, path: &str, fields: &[(&str, &str)]) -> String {
    let key = crate::pages::form_key();
    let mut form: Vec<(&str, &str)> = vec![("csrf", s.csrf.as_str()), ("once", key.as_str())];
    form.extend_from_slice(fields);
    let r = client()
        .post(format!("{}{path}", app.address))
        .header(header::COOKIE, &s.cookie)
        .form(&form)
        .send()
        .await
        .expect("posted");
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
    r.headers()[header::LOCATION]
        .to_str()
        .expect("location")
        .to_owned()
}

#[tokio::test]
async fn what_the_management_page_adds_the_api_lists() {
    let app = spawn_app(Backend::Sqlite).await;
    app.user("admin", None, "admin@loop.test");
    let s = signed(&app, "admin@loop.test").await;
    // Decimal commas, as French keyboards type them.
    let to = post(
        &app,
        &s,
        "/manage/sites",
        &[
            ("name", "Épicerie Vrac"),
            ("kind", "shop"),
            ("lat", "48,1173"),
            ("lon", "-1,6778"),
            ("address", "3 rue Saint-Malo"),
        ],
    )
    .await;
    assert!(
        to.starts_with("/manage?done=%C3%89picerie%20Vrac&sig=") && to.ends_with("#sites"),
        "{to}"
    );
    // The page says it, signed for this session; the same words in a link made elsewhere
    // (no signature, or another session's) are not shown.
    let shown = |path: String| {
        let cookie = s.cookie.clone();
        let c = client();
        let address = app.address.clone();
        async move {
            c.get(format!("{address}{path}"))
                .header(header::COOKIE, cookie)
                .send()
                .await
                .expect("page")
                .text()
                .await
                .expect("html")
        }
    };
    let notice = "<p class=\"result ok\" role=\"status\">Épicerie Vrac</p>";
    assert!(shown(to.clone()).await.contains(notice));
    let forged = "/manage?error=Appelez%20le%2006%2000%2000%2000%2000".to_owned();
    assert!(!shown(forged).await.contains("Appelez"));
    let other = to.replace("&sig=", "&sig=0");
    assert!(!shown(other).await.contains(notice));
    post(
        &app,
        &s,
        "/manage/sites",
        &[
            ("name", "Laverie"),
            ("kind", "washer"),
            ("lat", "48.05"),
            ("lon", "-1.70"),
        ],
    )
    .await;
    let sites = app.get("/api/v1/sites").await.body;
    let shop = sites
        .as_array()
        .expect("sites")
        .iter()
        .find(|x| x["name"] == "Épicerie Vrac")
        .expect("the shop")
        .clone();
    assert_eq!(
        (
            shop["kind"].as_str(),
            shop["lat"].as_f64(),
            shop["lon"].as_f64()
        ),
        (Some("shop"), Some(48.1173), Some(-1.6778))
    );
    assert_eq!(shop["address"], "3 rue Saint-Malo");
    let washer = sites
        .as_array()
        .expect("sites")
        .iter()
        .find(|x| x["name"] == "Laverie")
        .expect("washer")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let shop_id = shop["id"].as_str().expect("id").to_owned();

    post(
        &app,
        &s,
        "/manage/routes",
        &[("from", &shop_id), ("to", &washer), ("km", "8,5")],
    )
    .await;
    let routes = app.get("/api/v1/routes").await.body;
    assert_eq!(
        (
            routes[0]["from_site_id"].as_str(),
            routes[0]["distance_km"].as_f64()
        ),
        (Some(shop_id.as_str()), Some(8.5))
    );

    post(
        &app,
        &s,
        "/manage/types",
        &[
            ("name", "Bocal 500 ml"),
            ("material", "glass"),
            ("capacity_ml", "500"),
            ("tare_mass_g", "260"),
            ("single_use_mass_g", "30"),
        ],
    )
    .await;
    let types = app.get("/api/v1/container-types").await.body;
    assert_eq!(
        (types[0]["name"].as_str(), types[0]["tare_mass_g"].as_f64()),
        (Some("Bocal 500 ml"), Some(260.0))
    );

    post(
        &app,
        &s,
        "/manage/factors",
        &[
            ("kind", "transport"),
            ("subject", "van"),
            ("value", "0,27"),
            ("source", "Base Carbone"),
        ],
    )
    .await;
    let factors = app.get("/api/v1/emission-factors").await.body;
    let van = factors
        .as_array()
        .expect("factors")
        .iter()
        .find(|f| f["source"] == "Base Carbone")
        .expect("the new version")
        .clone();
    assert_eq!(
        (
            van["subject"].as_str(),
            van["value"].as_f64(),
            van["unit"].as_str(),
            van["current"].as_bool()
        ),
        (
            Some("van"),
            Some(0.27),
            Some("kg CO2e/vehicle-km"),
            Some(true)
        )
    );

    post(
        &app,
        &s,
        "/manage/users",
        &[
            ("email", "Caisse@Vrac.fr"),
            ("role", "shop"),
            ("site", &shop_id),
            ("language", "en"),
            ("password", "long enough secret"),
        ],
    )
    .await;
    let r = sign_in(&app, "caisse@vrac.fr", "long enough secret").await;
    assert_eq!(
        (r.status(), r.headers()[header::LOCATION].to_str().ok()),
        (StatusCode::SEE_OTHER, Some("/shop"))
    );

    // Refusals say why, and add nothing.
    let before = app
        .get("/api/v1/sites")
        .await
        .body
        .as_array()
        .expect("sites")
        .len();
    let to = post(
        &app,
        &s,
        "/manage/sites",
        &[
            ("name", "Lune"),
            ("kind", "castle"),
            ("lat", "0"),
            ("lon", "0"),
        ],
    )
    .await;
    assert!(
        to.starts_with("/manage?error=kind%20%22castle%22%20is%20not%20a%20site%20kind"),
        "{to}"
    );
    let to = post(
        &app,
        &s,
        "/manage/users",
        &[
            ("email", "x@vrac.fr"),
            ("role", "shop"),
            ("site", ""),
            ("language", "fr"),
            ("password", "long enough secret"),
        ],
    )
    .await;
    let said = format!(
        "/manage?error={}&sig=",
        crate::pages_manage::encode("Un utilisateur shop travaille sur un site : choisissez-le.")
    );
    assert!(to.starts_with(&said) && to.ends_with("#users"), "{to}");
    assert_eq!(
        app.get("/api/v1/sites")
            .await
            .body
            .as_array()
            .expect("sites")
            .len(),
        before
    );
}

pub fn encode(text: &str) -> String {
    boucle::pages::words::url_encode(text)
}

#[tokio::test]
async fn coordinators_manage_the_loop_but_do_not_add_users() {
    let app = spawn_app(Backend::Sqlite).await;
    let s = signed(&app, "coord@loop.test").await;
    let key = crate::pages::form_key();
    let form = [
        ("csrf", s.csrf.as_str()),
        ("once", key.as_str()),
        ("email", "x@vrac.fr"),
        ("role", "coordinator"),
        ("site", ""),
        ("language", "fr"),
        ("password", "long enough secret"),
    ];
    let r = client()
        .post(format!("{}/manage/users", app.address))
        .header(header::COOKIE, &s.cookie)
        .form(&form)
        .send()
        .await
        .expect("posted");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r
        .text()
        .await
        .expect("html")
        .contains("Seuls les administrateurs ajoutent des utilisateurs."));
    let r = sign_in(&app, "x@vrac.fr", "long enough secret").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
