//! What each fuzz target checks. Every target takes any bytes, gives them to a parser of
//! outside input, and fails on what the service must never do: panic, answer 5xx, answer a
//! refusal without its error code, change anything while refusing, or leave containers and
//! figures that disagree with the event log. The same checks replay the kept corpora in
//! `cargo test` (tests/fuzz_corpora.rs).

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;

use std::io::{Read, Write};
use std::net::TcpStream;

use boucle::config::Config;
use boucle::db::audit::By;
use boucle::db::models::User;
use boucle::db::{auth, check, holdings, schema, Db, DbConnection};
use boucle::domain::code::{parse_any, ShortCode};
use boucle::domain::gs1::{CompanyPrefix, Grai};
use boucle::error::ERROR_CODES;
use boucle::startup::Application;
use diesel::prelude::*;
use serde_json::Value;

mod seeds;
pub use seeds::seeds;

pub const PREFIX: &str = "ZW";
pub const GS1: &str = "3012345";
pub const SHOP: &str = "00000000-0000-4000-8000-00000000000a";
pub const WASHER: &str = "00000000-0000-4000-8000-00000000000b";
pub const PRODUCER: &str = "00000000-0000-4000-8000-00000000000c";
pub const JAR: &str = "00000000-0000-4000-8000-00000000000d";
pub const EMAIL: &str = "coord@fuzz.test";
pub const PASSWORD: &str = "fuzzing the loop";
/// Containers of the seeded loop: serials 1 to this, at the shop.
pub const SEEDED: u64 = 20;
/// How often, in requests, the whole database is checked against its event log.
const CHECK_EVERY: u64 = 200;

/// The code of the seeded container `serial`.
pub fn seed_code(serial: u64) -> String {
    ShortCode::from_serial(serial).display(PREFIX)
}

/// Codes and container URLs, typed or scanned: whatever reads as a code must read the same
/// once shown, and in every GS1 form of it.
pub fn codes(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let company = CompanyPrefix::parse(GS1).expect("the company prefix");
    for gs1 in [None, Some(&company)] {
        let Ok(parsed) = parse_any(text, PREFIX, gs1) else {
            continue;
        };
        let shown = parsed.code.display(PREFIX);
        let again = parse_any(&shown, PREFIX, gs1).map(|p| p.code);
        assert_eq!(again, Ok(parsed.code.clone()), "{text:?} reads as {shown}");
        assert_eq!(ShortCode::from_serial(parsed.code.serial()), parsed.code);
        if let (Some(company), Some(asset)) = (gs1, parsed.asset_type) {
            let grai = Grai::new(company, asset, &parsed.code).expect("a GRAI read is a GRAI");
            for form in [
                grai.element_string(),
                grai.digital_link("https://boucle.test"),
                grai.epc_uri(),
            ] {
                assert_eq!(parse_any(&form, PREFIX, gs1), Ok(parsed.clone()), "{form}");
            }
        }
    }
}

/// CSV imports: byte 0 picks sites, types or containers; the rest is the file.
pub fn csv(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let (what, table) = [
        ("sites", Table::Sites),
        ("types", Table::Types),
        ("containers", Table::Containers),
    ][usize::from(pick) % 3];
    with_loop(|l| {
        let before = l.count(table);
        let (status, answer) = l.call("POST", &format!("/api/v1/import/{what}"), "text/csv", body);
        let added = l.count(table) - before;
        if status == 200 {
            assert_eq!(answer["imported"].as_i64(), Some(added), "{answer}");
        } else {
            assert_eq!(added, 0, "a refused import wrote {added} rows: {answer}");
        }
    });
}

/// EPCIS documents sent to the capture interface.
pub fn epcis(data: &[u8]) {
    with_loop(|l| {
        let before = l.count(Table::Events);
        let (status, answer) = l.call("POST", "/api/v1/epcis/capture", "application/json", data);
        l.unchanged_unless_recorded(before, status, &answer);
    });
}

/// JSON bodies: byte 0 picks a route of the API that takes one; the rest is the body.
pub fn json(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let routes: Vec<&(&str, &str)> = boucle::http::ROUTES
        .iter()
        .filter(|(m, p)| matches!(*m, "POST" | "PUT") && !p.contains("{what}"))
        .collect();
    let (method, path) = routes[usize::from(pick) % routes.len()];
    with_loop(|l| {
        let path = l.fill(path);
        let before = l.count(Table::Events);
        let (status, answer) = l.call(method, &path, "application/json", body);
        l.unchanged_unless_recorded(before, status, &answer);
        l.remember(&path, &answer);
    });
}

#[derive(Clone, Copy)]
enum Table {
    Sites,
    Types,
    Containers,
    Events,
}

/// A loop served in this process: the real server on a port of loopback, on a SQLite file of
/// its own, spoken to in HTTP/1.1.
struct Loop {
    port: u16,
    db: Db,
    token: String,
    calls: u64,
    /// The last shipment, wash batch and scan made, for the routes that name one.
    last: HashMap<&'static str, String>,
    dir: PathBuf,
}

impl Drop for Loop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

thread_local! {
    static LOOP: RefCell<Option<Loop>> = const { RefCell::new(None) };
}

fn with_loop(f: impl FnOnce(&mut Loop)) {
    LOOP.with(|cell| {
        let mut slot = cell.borrow_mut();
        let l = slot.get_or_insert_with(Loop::start);
        f(l);
        l.calls += 1;
        if l.calls % CHECK_EVERY == 0 {
            l.check_log();
        }
    });
}

impl Loop {
    fn start() -> Loop {
        let shm = PathBuf::from("/dev/shm");
        let base = if shm.is_dir() {
            shm
        } else {
            std::env::temp_dir()
        };
        // A fuzzer exits without dropping its loop: the folders of processes gone are removed.
        for entry in std::fs::read_dir(&base).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let pid = name
                .strip_prefix("boucle-fuzz-")
                .and_then(|r| r.split('-').next());
            if pid.is_some_and(|p| !PathBuf::from(format!("/proc/{p}")).exists()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let dir = base.join(format!(
            "boucle-fuzz-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        std::fs::create_dir_all(&dir).expect("the loop's folder");
        let url = dir.join("boucle.db").display().to_string();
        let mail = dir.join("mail").display().to_string();
        let config = Config::from_lookup(|name| match name {
            "DATABASE_URL" => Some(url.clone()),
            "BIND_ADDR" => Some("127.0.0.1:0".into()),
            "BASE_URL" => Some("https://boucle.test".into()),
            "CODE_PREFIX" => Some(PREFIX.into()),
            "GS1_COMPANY_PREFIX" => Some(GS1.into()),
            "MAIL_DIR" => Some(mail.clone()),
            _ => None,
        })
        .expect("the settings");
        let db = Db::connect(&url, 2).expect("the database");
        db.migrate().expect("the migrations");
        let (tx, rx) = std::sync::mpsc::channel();
        let served = config.clone();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let app = Application::build(served).expect("the service starts");
                tx.send(app.port()).expect("the port told");
                app.run_until_stopped().await
            })
        });
        let port = rx.recv().expect("the service's port");
        let token = {
            let mut conn = db.write_conn().expect("a connection");
            let now = boucle::db::catalog::now();
            let user = User {
                id: uuid::Uuid::new_v4().to_string(),
                email: EMAIL.into(),
                role: "coordinator".into(),
                site_id: None,
                password_hash: auth::hash_password(PASSWORD).expect("a hash"),
                created_at: now,
            };
            auth::insert_user(&mut conn, &user).expect("the coordinator");
            auth::create_token(&mut conn, &user, "fuzz", &By::command_line(), now).expect("a token")
        };
        let mut l = Loop {
            port,
            db,
            token,
            calls: 0,
            last: HashMap::new(),
            dir,
        };
        l.seed();
        l
    }

    /// Three sites, a jar type and twenty jars at the shop, under fixed ids and codes that
    /// the corpora use.
    fn seed(&mut self) {
        let sites = format!(
            "id,name,kind,lat,lon\n{SHOP},Shop,shop,48.11,-1.68\n{WASHER},Washer,washer,48.05,-1.60\n{PRODUCER},Producer,producer,48.20,-1.50\n"
        );
        let types =
            format!("id,name,material,tare_mass_g,single_use_mass_g\n{JAR},Jar,glass,250,30\n");
        let mut containers = String::from("type_id,site_id,code,commissioned_at\n");
        for serial in 1..=SEEDED {
            containers.push_str(&format!(
                "{JAR},{SHOP},{},2026-01-01T08:00:00Z\n",
                seed_code(serial)
            ));
        }
        for (what, csv) in [
            ("sites", sites),
            ("types", types),
            ("containers", containers),
        ] {
            let path = format!("/api/v1/import/{what}");
            let (status, answer) = self.call("POST", &path, "text/csv", csv.as_bytes());
            assert_eq!(status, 200, "seeding {what}: {answer}");
        }
    }

    fn call(&mut self, method: &str, path: &str, content_type: &str, body: &[u8]) -> (u16, Value) {
        let (status, bytes) = self.http(method, path, content_type, body);
        let text = String::from_utf8_lossy(&bytes);
        if std::env::var_os("BOUCLE_FUZZ_SHOW").is_some() {
            eprintln!("{method} {path} {status} {text}");
        }
        assert!(status < 500, "{method} {path} answered {status}: {text}");
        let answer: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!("{method} {path} answered {status}, not JSON ({e}): {text}")
        });
        if status >= 400 {
            let code = answer["error"].as_str().unwrap_or("(none)");
            assert!(
                ERROR_CODES.contains(&code),
                "{status} with error code {code}: {answer}"
            );
            let message = answer["message"].as_str().unwrap_or("");
            assert!(!message.is_empty(), "{status} without a message: {answer}");
        }
        (status, answer)
    }

    /// One request on its own connection: the status and the body.
    fn http(&self, method: &str, path: &str, content_type: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connected");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: boucle.test\r\nAuthorization: Bearer {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.token,
            body.len()
        );
        stream.write_all(head.as_bytes()).expect("the head sent");
        stream.write_all(body).expect("the body sent");
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).expect("the answer read");
        let end = answer
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no end of head: {}", String::from_utf8_lossy(&answer)));
        let head = String::from_utf8_lossy(&answer[..end]).into_owned();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status: {head}"));
        assert!(
            !head
                .to_ascii_lowercase()
                .contains("transfer-encoding: chunked"),
            "a chunked answer: {head}"
        );
        (status, answer[end + 4..].to_vec())
    }

    fn conn(&self) -> boucle::db::PooledConn {
        self.db.write_conn().expect("a connection")
    }

    fn count(&self, table: Table) -> i64 {
        let mut conn = self.conn();
        let c: &mut DbConnection = &mut conn;
        match table {
            Table::Sites => schema::sites::table.count().get_result(c),
            Table::Types => schema::container_types::table.count().get_result(c),
            Table::Containers => schema::containers::table.count().get_result(c),
            Table::Events => schema::events::table.count().get_result(c),
        }
        .expect("a count")
    }

    /// A refusal, or a result whose every item was refused, recorded nothing.
    fn unchanged_unless_recorded(&self, before: i64, status: u16, answer: &Value) {
        let added = self.count(Table::Events) - before;
        let results = answer["results"].as_array();
        let none_recorded =
            status >= 400 || results.is_some_and(|r| r.iter().all(|x| x["status"] != "recorded"));
        if none_recorded {
            assert_eq!(added, 0, "{added} events recorded by {status}: {answer}");
        }
        assert!(added >= 0, "events disappeared: {answer}");
    }

    /// Fills a route's `{id}` with the last thing of its kind made, or a made-up id.
    fn fill(&self, path: &str) -> String {
        let kind = ["shipments", "wash-batches", "scans", "outbox"]
            .into_iter()
            .find(|k| path.contains(&format!("/{k}/{{id}}")));
        let id = kind
            .and_then(|k| self.last.get(k))
            .cloned()
            .unwrap_or_else(|| "00000000-0000-4000-8000-000000000000".into());
        path.replace("{id}", &id)
    }

    fn remember(&mut self, path: &str, answer: &Value) {
        let id = match path {
            "/api/v1/shipments" => ("shipments", answer["id"].as_str()),
            "/api/v1/wash-batches" => ("wash-batches", answer["id"].as_str()),
            "/api/v1/scans" => (
                "scans",
                answer.pointer("/results/0/id").and_then(Value::as_str),
            ),
            _ => return,
        };
        if let (kind, Some(value)) = id {
            self.last.insert(kind, value.to_owned());
        }
    }

    /// Containers and figures as the event log gives them, and the holdings as the
    /// containers give them.
    fn check_log(&self) {
        let mut conn = self.conn();
        let c: &mut DbConnection = &mut conn;
        let fresh = check::recompute(c, |_| {}).expect("recomputed");
        let differences = check::differences(c, &fresh).expect("compared");
        assert!(
            differences.is_empty(),
            "the figures disagree with the log: {differences:?}"
        );
        assert!(
            fresh.states.is_empty(),
            "states disagree with the log: {:?}",
            fresh.states
        );
        let holdings = holdings::differences(c).expect("holdings compared");
        assert!(holdings.is_empty(), "holdings disagree: {holdings:?}");
    }
}
