//! A real headless Chromium, driven through ChromeDriver, for the pages' tests.
//! `BOUCLE_TEST_CHROMEDRIVER` names the driver (`.ci/run` installs Debian's `chromium` and
//! `chromium-driver`); without it the browser tests are ignored, saying so.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// Generates one test per async function `f()` that needs the browser.
#[macro_export]
macro_rules! in_browser {
    ($($f:ident),+ $(,)?) => {$(
        mod $f {
            #[tokio::test]
            #[cfg_attr(not(boucle_browser), ignore = "browser runs skipped: set BOUCLE_TEST_CHROMEDRIVER to run them")]
            async fn chromium() {
                super::$f().await
            }
        }
    )+};
}

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// ChromeDriver's own command to cut or restore the network of the page.
#[derive(Debug)]
struct NetworkConditions {
    offline: bool,
}

impl WebDriverCompatibleCommand for NetworkConditions {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/chromium/network_conditions",
            session.unwrap_or("")
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"network_conditions": {
            "offline": self.offline, "latency": 0,
            "download_throughput": 1_000_000, "upload_throughput": 1_000_000,
        }});
        (http::Method::POST, Some(body.to_string()))
    }
}

impl Browser {
    pub async fn start() -> Browser {
        let driver_path = std::env::var("BOUCLE_TEST_CHROMEDRIVER")
            .unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned());
        let port = free_port();
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {driver_path}: {e}"));
        let profile =
            std::env::temp_dir().join(format!("boucle-chromium-{}", uuid::Uuid::new_v4()));
        let binary = std::env::var("BOUCLE_TEST_CHROMIUM")
            .unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": binary,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,1000",
                    format!("--user-data-dir={}", profile.display()),
                ],
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..50 {
            let plain = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(plain)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Browser {
                        client,
                        driver,
                        _profile: profile,
                    }
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("ChromeDriver did not start a session: {last:?}");
    }

    /// Cuts (true) or restores (false) the page's network, as a phone losing its signal.
    pub async fn offline(&self, offline: bool) {
        self.client
            .issue_cmd(NetworkConditions { offline })
            .await
            .expect("network conditions set");
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("page opens");
    }

    /// The text of the element; fails with the page's source when it is not there.
    pub async fn text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.expect("text"),
            Err(e) => {
                let page = self.client.source().await.unwrap_or_default();
                panic!("{css}: {e}; the page is:\n{page}");
            }
        }
    }

    /// Types into the field, then Enter, as a hand scanner does.
    pub async fn scan(&self, css: &str, text: &str) {
        let field = self
            .client
            .find(Locator::Css(css))
            .await
            .expect("the field");
        field
            .send_keys(&format!("{text}\u{E007}"))
            .await
            .expect("typed");
    }

    /// Waits until `js` (an expression) is true in the page, or fails saying what it waited for.
    pub async fn wait_until(&self, js: &str) {
        for _ in 0..100 {
            let v: Value = self
                .client
                .execute(&format!("return !!({js});"), vec![])
                .await
                .expect("script runs");
            if v == Value::Bool(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let page = self.client.source().await.unwrap_or_default();
        panic!("waited 10 s for {js}; the page is:\n{page}");
    }

    /// Saves a screenshot as `target/screenshots/{name}.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot written");
    }

    /// Signs in through the sign-in page, from `path` that asks for it.
    pub async fn sign_in(&self, address: &str, path: &str, email: &str, password: &str) {
        self.goto(&format!("{address}{path}")).await;
        let url = self.client.current_url().await.expect("url");
        assert_eq!(url.path(), "/sign-in", "{path} sends to the sign-in page");
        let c = &self.client;
        c.find(Locator::Id("email"))
            .await
            .expect("e-mail")
            .send_keys(email)
            .await
            .expect("typed");
        let pw = c.find(Locator::Id("password")).await.expect("password");
        pw.send_keys(password).await.expect("typed");
        pw.send_keys("\u{E007}").await.expect("submitted");
        self.wait_until(&format!("location.pathname + location.search === {path:?}"))
            .await;
    }

    pub async fn close(self) {
        self.client.clone().close().await.expect("browser closes");
    }
}
