//! The coordinator's pages in a real browser: the dashboard's figures, with their
//! definitions and CSV; a label sheet whose QR codes read back as the containers' URLs.

use fantoccini::Locator;

use crate::browser::Browser;
use crate::helpers::{small_loop, spawn_app, Backend, PASSWORD};
use crate::in_browser;
use crate::reports::script;

in_browser!(
    the_dashboard_shows_the_figures_of_the_period,
    a_printed_label_sheet_reads_back
);

/// The value shown for a figure on the dashboard.
async fn figure(b: &Browser, name: &str) -> String {
    b.text(&format!("details[data-figure='{name}'] .value"))
        .await
}

async fn the_dashboard_shows_the_figures_of_the_period() {
    let app = spawn_app(Backend::Sqlite).await;
    script(&app).await;
    let b = Browser::start().await;
    b.sign_in(
        &app.address,
        "/dashboard?from=2026-01-01&to=2026-02-01",
        "coord@loop.test",
        PASSWORD,
    )
    .await;
    // January of the scripted loop, computed by hand in tests/api/reports.rs: 3 fills, 1
    // return of 3 trips, 1 jar lost, 2 shipments of 10 and 12 km carrying 4 then 3
    // containers, 76 container-km for 3 uses.
    for (name, shown) in [
        ("uses", "3"),
        ("returns", "1"),
        ("trips", "3"),
        ("return_rate", "33,3 %"),
        ("lost", "1"),
        ("loss_rate", "33,3 %"),
        ("shipments", "2"),
        ("vehicle_km", "22,0"),
        ("container_km", "76,0"),
        ("km_per_use", "25,3"),
        ("avg_cycle_days", "–"),
    ] {
        assert_eq!(figure(&b, name).await, shown, "{name}");
    }
    // The definition is one click away.
    let card = b
        .client
        .find(Locator::Css("details[data-figure='return_rate'] summary"))
        .await
        .expect("card");
    card.click().await.expect("opens");
    assert_eq!(
        b.text("details[data-figure='return_rate'] p").await,
        "Voyages revenus ÷ voyages ; les voyages récents peuvent être encore en cours (voir les courbes)."
    );
    // One month, one pair of bars; the flows drawn between the three sites that shipped.
    b.wait_until("document.querySelectorAll('svg.chart rect.uses').length === 1")
        .await;
    b.wait_until("document.querySelectorAll('svg.map line.flow').length === 2")
        .await;
    b.screenshot("dashboard").await;

    // The CSV link gives what the API gives.
    let href = b
        .client
        .find(Locator::Css(".downloads a"))
        .await
        .expect("link")
        .attr("href")
        .await
        .expect("href")
        .expect("a link");
    assert_eq!(href, "/dashboard/loop.csv?from=2026-01-01&to=2026-02-01");
    let csv: String = b
        .client
        .execute(
            &format!("return fetch({href:?}).then(r => r.text());"),
            vec![],
        )
        .await
        .expect("fetched")
        .as_str()
        .expect("text")
        .to_owned();
    let api = app
        .client
        .get(format!(
            "{}/api/v1/reports/loop?from=2026-01-01&to=2026-02-01&format=csv",
            app.address
        ))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("api")
        .text()
        .await
        .expect("csv");
    assert_eq!(csv, api);
    b.close().await;
}

async fn a_printed_label_sheet_reads_back() {
    let app = spawn_app(Backend::Sqlite).await;
    let l = small_loop(&app).await;
    let b = Browser::start().await;
    b.sign_in(&app.address, "/labels", "coord@loop.test", PASSWORD)
        .await;
    let count = b.client.find(Locator::Id("count")).await.expect("count");
    count.clear().await.expect("cleared");
    count.send_keys("3").await.expect("typed");
    b.client
        .execute(
            &format!("document.getElementById('site').value = {:?};", l.washer),
            vec![],
        )
        .await
        .expect("site chosen");
    count.send_keys("\u{E007}").await.expect("submitted");
    b.wait_until("document.querySelectorAll('.label').length === 3")
        .await;
    let codes: Vec<String> = {
        let mut out = Vec::new();
        for label in b
            .client
            .find_all(Locator::Css(".label"))
            .await
            .expect("labels")
        {
            let code = label
                .attr("data-code")
                .await
                .expect("attr")
                .expect("a code");
            // Printed on two lines, large, to be typed from a damaged label.
            let printed = label.find(Locator::Css(".code")).await.expect("printed");
            assert_eq!(printed.text().await.expect("text").replace('\n', ""), code);
            out.push(code);
        }
        out
    };
    for code in &codes {
        let c = app.container(code).await;
        assert_eq!(
            (c["site_id"].as_str(), c["condition"].as_str()),
            (Some(l.washer.as_str()), Some("clean"))
        );
    }
    b.screenshot("labels").await;
    // Read each QR code off the screen, as a phone would off the paper.
    let png = b.client.screenshot().await.expect("screenshot");
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).expect("frame");
    let (w, h) = (info.width as usize, info.height as usize);
    let channels = info.color_type.samples();
    let grey = |x: usize, y: usize| pixels[(y * w + x) * channels];
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, grey);
    let mut read: Vec<String> = img
        .detect_grids()
        .iter()
        .filter_map(|g| g.decode().ok())
        .map(|(_, text)| text)
        .collect();
    read.sort();
    let mut expected: Vec<String> = codes
        .iter()
        .map(|c| format!("https://boucle.test/c/{c}"))
        .collect();
    expected.sort();
    assert_eq!(read, expected);
    b.close().await;
}
