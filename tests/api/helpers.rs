//! Starts the real service on port 0 with its own database, and talks to it over HTTP.

use std::path::PathBuf;
use std::sync::OnceLock;

use boucle::config::Config;
use boucle::db::audit::By;
use boucle::db::auth::{create_token, hash_password, insert_user};
use boucle::db::models::User;
use boucle::db::{Db, DbConnection};
use boucle::startup::Application;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use reqwest::StatusCode;
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates, for each async test function `f(Backend)`, a module `f` with one test per
/// backend. The PostgreSQL one is ignored, saying so, when no server is given.
#[macro_export]
macro_rules! on_both_backends {
    ($($f:ident),+ $(,)?) => {$(
        mod $f {
            #[tokio::test]
            async fn sqlite() {
                super::$f($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test]
            #[cfg_attr(not(boucle_postgres), ignore = "PostgreSQL runs skipped: set BOUCLE_TEST_POSTGRES_URL to run them")]
            async fn postgres() {
                super::$f($crate::helpers::Backend::Postgres).await
            }
        }
    )+};
}

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// A coordinator's token.
    pub token: String,
    pub db: Db,
    pub config: Config,
    /// Declared last: the database goes once the service's connections are dropped.
    _fresh: FreshDb,
}

fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password(PASSWORD).expect("hash"))
        .clone()
}

pub fn postgres_admin_url() -> String {
    std::env::var("BOUCLE_TEST_POSTGRES_URL")
        .expect("BOUCLE_TEST_POSTGRES_URL is set for PostgreSQL runs")
}

/// A fresh database of the backend: a SQLite file in its own folder, or a new PostgreSQL
/// database on the test server. Both are removed when it is dropped.
pub struct FreshDb {
    pub url: String,
    pub dir: PathBuf,
    pg: Option<(String, String)>,
}

impl Drop for FreshDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((admin, name)) = &self.pg {
            if let Ok(mut conn) = PgConnection::establish(admin) {
                let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

pub fn fresh_database(backend: Backend) -> FreshDb {
    let dir = std::env::temp_dir().join(format!("boucle-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    match backend {
        Backend::Sqlite => FreshDb {
            url: dir.join("boucle.db").display().to_string(),
            dir,
            pg: None,
        },
        Backend::Postgres => {
            let admin = postgres_admin_url();
            let name = format!("boucle_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn =
                PgConnection::establish(&admin).expect("connect to the test PostgreSQL server");
            conn.batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("create test database");
            let url = match admin.rfind('/') {
                Some(pos) => format!("{}/{name}", &admin[..pos]),
                None => panic!("BOUCLE_TEST_POSTGRES_URL must end with /DATABASE"),
            };
            FreshDb {
                url,
                dir,
                pg: Some((admin, name)),
            }
        }
    }
}

pub fn test_config(database_url: &str) -> Config {
    test_config_with(database_url, &[])
}

/// The test settings, with `extra` settings on top.
pub fn test_config_with(database_url: &str, extra: &[(&str, String)]) -> Config {
    let url = database_url.to_owned();
    let extra: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    Config::from_lookup(move |name| match name {
        _ if extra.iter().any(|(k, _)| k == name) => extra
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone()),
        "DATABASE_URL" => Some(url.clone()),
        "BIND_ADDR" => Some("127.0.0.1:0".into()),
        "BASE_URL" => Some("https://boucle.test".into()),
        "CODE_PREFIX" => Some("ZW".into()),
        "DB_POOL_SIZE" => Some("4".into()),
        _ => None,
    })
    .expect("test config")
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

/// The service with `extra` settings; mails go to files in the test's own folder unless
/// `extra` says otherwise.
pub async fn spawn_app_with(backend: Backend, extra: &[(&str, String)]) -> TestApp {
    let fresh = fresh_database(backend);
    let url = fresh.url.clone();
    let mail_dir = fresh.dir.join("mail");
    let mut settings = vec![("MAIL_DIR", mail_dir.display().to_string())];
    settings.extend(extra.iter().cloned());
    let config = test_config_with(&url, &settings);
    let app = Application::build(config.clone()).expect("the service starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let db = Db::connect(&url, 2).expect("test connection");
    let mut test = TestApp {
        address,
        client: reqwest::Client::new(),
        token: String::new(),
        db,
        config,
        _fresh: fresh,
    };
    test.token = test.user("coordinator", None, "coord@loop.test");
    test
}

pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

impl Reply {
    /// The error code of an error answer.
    pub fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or("(no error code)")
    }
    pub fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or("(no message)")
    }
}

impl TestApp {
    /// Starts another instance of the service on the same database, as a second server
    /// behind a load balancer would be, and returns its address.
    pub fn another_instance(&self, extra: &[(&str, String)]) -> String {
        let mut settings = vec![("MAIL_DIR", self.config.mail.mail_dir.clone())];
        settings.extend(extra.iter().cloned());
        let config = test_config_with(&self.config.database_url, &settings);
        let app = Application::build(config).expect("the second instance starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        address
    }

    pub fn conn(&self) -> boucle::db::PooledConn {
        self.db.write_conn().expect("test connection")
    }

    /// Adds a user straight in the database and returns a token for it.
    pub fn user(&self, role: &str, site: Option<&str>, email: &str) -> String {
        let mut conn = self.conn();
        let c: &mut DbConnection = &mut conn;
        let user = User {
            id: uuid::Uuid::now_v7().to_string(),
            email: email.to_owned(),
            role: role.to_owned(),
            site_id: site.map(str::to_owned),
            password_hash: password_hash(),
            created_at: boucle::db::catalog::now(),
        };
        insert_user(c, &user).expect("insert user");
        create_token(
            c,
            &user,
            "test",
            &By::command_line(),
            boucle::db::catalog::now(),
        )
        .expect("token")
    }

    /// A request to the service; a string body goes as CSV, any other as JSON.
    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> reqwest::RequestBuilder {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.address));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        match body {
            Some(Value::String(csv)) => req.header("content-type", "text/csv").body(csv),
            Some(b) => req.json(&b),
            None => req,
        }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let req = self.request(method, path, token, body);
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let text = resp.text().await.expect("body read");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply { status, body }
    }

    pub async fn get_as(&self, token: &str, path: &str) -> Reply {
        self.send(reqwest::Method::GET, path, Some(token), None)
            .await
    }
    pub async fn get(&self, path: &str) -> Reply {
        self.get_as(&self.token.clone(), path).await
    }
    pub async fn post_as(&self, token: &str, path: &str, body: Value) -> Reply {
        self.send(reqwest::Method::POST, path, Some(token), Some(body))
            .await
    }
    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.post_as(&self.token.clone(), path, body).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.send(
            reqwest::Method::PUT,
            path,
            Some(&self.token.clone()),
            Some(body),
        )
        .await
    }

    /// Creates a site and returns its id.
    pub async fn site(&self, name: &str, kind: &str, lat: f64, lon: f64) -> String {
        let r = self
            .post(
                "/api/v1/sites",
                json!({"name": name, "kind": kind, "lat": lat, "lon": lon}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["id"].as_str().expect("site id").to_owned()
    }

    pub async fn jar_type(&self) -> String {
        let r = self
            .post("/api/v1/container-types", json!({"name": "Bocal 370 ml", "material": "glass", "capacity_ml": 370, "tare_mass_g": 210.0, "single_use_mass_g": 25.0}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["id"].as_str().expect("type id").to_owned()
    }

    /// Commissions `count` containers and returns their codes.
    pub async fn commission(
        &self,
        type_id: &str,
        site_id: &str,
        count: usize,
        at: &str,
    ) -> Vec<String> {
        let r = self
            .post(
                "/api/v1/containers",
                json!({"type_id": type_id, "site_id": site_id, "count": count, "at": at}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["containers"]
            .as_array()
            .expect("containers")
            .iter()
            .map(|c| c["code"].as_str().expect("code").to_owned())
            .collect()
    }

    pub async fn scan(&self, token: &str, code: &str, action: &str, site: &str, at: &str) -> Value {
        let r = self
            .post_as(
                token,
                "/api/v1/scans",
                json!({"scans": [{"code": code, "action": action, "site_id": site, "at": at}]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        r.body["results"][0].clone()
    }

    /// How many items the listing at `path` holds.
    pub async fn count(&self, path: &str) -> usize {
        let r = self.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.body);
        r.body.as_array().map_or(0, Vec::len)
    }

    pub async fn container(&self, code: &str) -> Value {
        let r = self.get(&format!("/api/v1/containers/{code}")).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        r.body
    }

    pub fn count_events(&self) -> i64 {
        use diesel::prelude::*;
        let mut conn = self.conn();
        boucle::db::schema::events::table
            .count()
            .get_result(&mut *conn)
            .expect("count")
    }
}

/// A loop to play with: a producer, two shops and a washer around Rennes, one jar type.
pub struct Loop {
    pub producer: String,
    pub shop: String,
    pub shop2: String,
    pub washer: String,
    pub jar: String,
}

pub async fn small_loop(app: &TestApp) -> Loop {
    Loop {
        producer: app
            .site("Laiterie Noyal", "producer", 48.1100, -1.5200)
            .await,
        shop: app.site("Biocoop Rennes", "shop", 48.1100, -1.6800).await,
        shop2: app.site("Biocoop Cesson", "shop", 48.1200, -1.6000).await,
        washer: app.site("Laverie Uzaje", "washer", 48.0500, -1.7000).await,
        jar: app.jar_type().await,
    }
}
