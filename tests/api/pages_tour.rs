//! Every main page opens on a simulated loop of two months, as a coordinator sees it (the
//! till also at a phone's width), and shows what it is about. Screenshots go to
//! `target/screenshots/tour/`; with `BOUCLE_TOUR_DOCS=1` they also replace
//! docs/screenshots/, the ones the README shows.

use std::path::PathBuf;

use fantoccini::Locator;

use crate::browser::Browser;
use crate::helpers::{spawn_app, Backend, PASSWORD};
use crate::in_browser;

in_browser!(every_main_page_opens_on_a_simulated_loop);

async fn save(b: &Browser, name: &str) {
    let png = b.client.screenshot().await.expect("screenshot");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![root.join("target/screenshots/tour")];
    if std::env::var("BOUCLE_TOUR_DOCS").is_ok_and(|v| v == "1") {
        dirs.push(root.join("docs/screenshots"));
    }
    for dir in dirs {
        std::fs::create_dir_all(&dir).expect("folder");
        std::fs::write(dir.join(format!("{name}.png")), &png).expect("written");
    }
}

/// The count of elements matching `css`.
async fn count(b: &Browser, css: &str) -> usize {
    b.client
        .find_all(Locator::Css(css))
        .await
        .expect("found")
        .len()
}

/// The washer, a producer, and up to 12 clean containers at the washer.
fn clean_at_the_washer(app: &crate::helpers::TestApp) -> (String, String, Vec<String>) {
    use boucle::db::schema::{containers, sites};
    use diesel::prelude::*;
    let mut conn = app.conn();
    let site = |kind: &str, conn: &mut boucle::db::DbConnection| -> String {
        sites::table
            .filter(sites::kind.eq(kind))
            .select(sites::id)
            .order(sites::name)
            .first(conn)
            .expect(kind)
    };
    let (washer, producer) = (site("washer", &mut conn), site("producer", &mut conn));
    let clean = containers::table
        .filter(containers::site_id.eq(&washer))
        .filter(containers::state.eq("at_site"))
        .filter(containers::condition.eq("clean"))
        .select(containers::code)
        .order((containers::uses.desc(), containers::code))
        .limit(12)
        .load(&mut *conn)
        .expect("clean containers");
    (washer, producer, clean)
}

async fn every_main_page_opens_on_a_simulated_loop() {
    let app = spawn_app(Backend::Sqlite).await;
    let opts = boucle::sim::Options {
        scenario: boucle::sim::scenario::zerowest(),
        days: 60,
        scale: 0.2,
        seed: 7,
        end: chrono::Utc::now().date_naive(),
        prefix: app.config.code_prefix.clone(),
        detour_factor: app.config.detour_factor,
    };
    let summary = boucle::sim::run(&app.db, &opts, |_, _, _| {}).expect("simulated");
    assert_eq!(summary.rejected, 0, "{:?}", summary.first_rejections);
    let url = app.address.clone();
    let b = Browser::start().await;
    b.sign_in(&url, "/dashboard", "coord@loop.test", PASSWORD)
        .await;
    b.client
        .set_window_size(1280, 3400)
        .await
        .expect("tall window");
    b.goto(&format!("{url}/dashboard")).await;
    assert!(
        count(&b, "svg.chart rect.uses").await >= 2,
        "months of uses"
    );
    assert!(
        count(&b, "svg.map line.flow").await >= 10,
        "flows between the sites"
    );
    assert!(count(&b, ".curves figure").await >= 2, "return curves");
    save(&b, "dashboard").await;
    b.client
        .set_window_size(1280, 1000)
        .await
        .expect("desktop size");

    b.goto(&format!("{url}/producer")).await;
    assert!(
        count(&b, "#stock tbody tr").await >= 1,
        "the producer's stock"
    );
    save(&b, "producer").await;
    b.goto(&format!("{url}/washer")).await;
    assert!(count(&b, "#batches").await == 1);
    save(&b, "washer").await;
    b.goto(&format!("{url}/labels")).await;
    save(&b, "labels").await;
    // Clean jars leave the washer for a producer, now.
    let (from, to, clean) = clean_at_the_washer(&app);
    let refs: Vec<&str> = clean.iter().map(String::as_str).collect();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    crate::reports::ship(&app, &from, &to, &refs, &now, 8.0, "truck").await;
    b.goto(&format!("{url}/receive?site={to}")).await;
    assert_eq!(count(&b, "#inbound a").await, 1);
    save(&b, "receive").await;
    b.client
        .find(Locator::Css("#inbound a"))
        .await
        .expect("a shipment")
        .click()
        .await
        .expect("opens");
    b.wait_until("document.getElementById('missing')").await;
    save(&b, "receive-shipment").await;
    let mut codes = Vec::new();
    for li in b
        .client
        .find_all(Locator::Css("#missing li"))
        .await
        .expect("codes")
    {
        codes.push(li.text().await.expect("code"));
    }
    assert_eq!(codes.len(), clean.len());
    let some = codes.iter().take(6).cloned().collect::<Vec<_>>().join(",");
    b.goto(&format!("{url}/labels/print?codes={some}")).await;
    assert_eq!(count(&b, ".label").await, codes.len().min(6));
    save(&b, "label-sheet").await;
    b.goto(&format!("{url}/c/{}", codes[0])).await;
    assert!(
        count(&b, "#shops li").await >= 5,
        "the shops that take it back"
    );
    save(&b, "container-page").await;
    b.client
        .set_window_size(360, 800)
        .await
        .expect("phone size");
    b.goto(&format!("{url}/shop")).await;
    assert!(
        b.text("p.site").await.starts_with("Épicerie"),
        "the first shop's till"
    );
    save(&b, "till-phone").await;
    b.client
        .set_window_size(1280, 1000)
        .await
        .expect("desktop size");
    b.goto(&format!("{url}/api/docs")).await;
    b.wait_until("document.querySelectorAll('.opblock').length > 40")
        .await;
    save(&b, "api-docs").await;
    b.close().await;
}
