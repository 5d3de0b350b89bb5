//! The baselines of the benchmark kit (`benches/bench.sh`): what the same stack does on the
//! same machine with none of Boucle's work.
//!
//! - `GET /h` answers a constant (baseline H);
//! - `POST /r` inserts one row into a table shaped like Boucle's `events`, with the same
//!   columns and indexes, by one raw prepared statement (baseline R): no ORM, no pool
//!   library, no sign-in, no rules;
//! - `POST /r/batch?rows=N` inserts N such rows in one transaction (baseline R, batched).
//!
//! On SQLite there is one connection, as Boucle has one writer, with Boucle's pragmas; on
//! PostgreSQL there are as many connections as Boucle's pool (`DB_POOL_SIZE`, default 8).
//! The statements run on actix-web's blocking threads, as any actix-web service runs them.
//!
//! Usage: `baseline <SQLite file | postgres://URL> <address:port>`
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, CStr, CString};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpResponse, HttpServer};

const COLUMNS: &str = "seq {SEQ}, id TEXT NOT NULL UNIQUE, container_id TEXT NOT NULL, \
    action TEXT NOT NULL, site_id TEXT NOT NULL, to_site_id TEXT, at TIMESTAMP NOT NULL, \
    recorded_at TIMESTAMP NOT NULL, user_id TEXT, shipment_id TEXT, batch_id TEXT, \
    reason TEXT, undoes TEXT";
const INDEXES: &str = "CREATE INDEX IF NOT EXISTS events_container_at ON events (container_id, at, seq); \
    CREATE INDEX IF NOT EXISTS events_shipment ON events (shipment_id) WHERE shipment_id IS NOT NULL; \
    CREATE INDEX IF NOT EXISTS events_batch ON events (batch_id) WHERE batch_id IS NOT NULL; \
    CREATE INDEX IF NOT EXISTS events_at ON events (at); \
    CREATE UNIQUE INDEX IF NOT EXISTS events_undoes ON events (undoes);";
const INSERT_SQLITE: &str =
    "INSERT INTO events (id, container_id, action, site_id, at, recorded_at, user_id) \
    VALUES (?1, ?2, 'return', ?3, ?4, ?4, ?5)";
const INSERT_POSTGRES: &str =
    "INSERT INTO events (id, container_id, action, site_id, at, recorded_at, user_id) \
    VALUES ($1, $2, 'return', $3, $4::timestamp, $4::timestamp, $5)";
const SITE: &str = "0190a0b1-0000-7000-8000-000000000001";
const USER: &str = "0190a0b1-0000-7000-8000-000000000002";

/// One row's values, made as Boucle makes them: a v7 id, a container, the time in UTC to
/// the microsecond.
fn row() -> [String; 5] {
    let at = chrono::Utc::now()
        .naive_utc()
        .format("%Y-%m-%d %H:%M:%S%.6f")
        .to_string();
    [
        uuid::Uuid::now_v7().to_string(),
        uuid::Uuid::new_v4().to_string(),
        SITE.to_owned(),
        at,
        USER.to_owned(),
    ]
}

fn cstring(text: &str) -> CString {
    CString::new(text).expect("SQL text has no NUL byte")
}

/// One SQLite connection and its prepared insert.
struct Sqlite {
    db: *mut libsqlite3_sys::sqlite3,
    insert: *mut libsqlite3_sys::sqlite3_stmt,
}

// The connection is only ever used behind a mutex, one thread at a time.
unsafe impl Send for Sqlite {}

impl Sqlite {
    fn open(path: &str) -> Result<Sqlite, String> {
        use libsqlite3_sys as ffi;
        let mut db = std::ptr::null_mut();
        let flags = ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_CREATE | ffi::SQLITE_OPEN_NOMUTEX;
        let rc = unsafe {
            ffi::sqlite3_open_v2(cstring(path).as_ptr(), &mut db, flags, std::ptr::null())
        };
        let mut conn = Sqlite {
            db,
            insert: std::ptr::null_mut(),
        };
        conn.check(rc)?;
        conn.exec(
            "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
             PRAGMA mmap_size = 33554432; PRAGMA journal_mode = WAL;",
        )?;
        let table = format!(
            "CREATE TABLE IF NOT EXISTS events ({});",
            COLUMNS.replace("{SEQ}", "INTEGER PRIMARY KEY AUTOINCREMENT")
        );
        conn.exec(&(table + INDEXES))?;
        let sql = cstring(INSERT_SQLITE);
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                conn.db,
                sql.as_ptr(),
                -1,
                &mut conn.insert,
                std::ptr::null_mut(),
            )
        };
        conn.check(rc)?;
        Ok(conn)
    }

    fn check(&self, rc: c_int) -> Result<(), String> {
        if rc == libsqlite3_sys::SQLITE_OK || rc == libsqlite3_sys::SQLITE_DONE {
            return Ok(());
        }
        let message = unsafe { CStr::from_ptr(libsqlite3_sys::sqlite3_errmsg(self.db)) };
        Err(format!("SQLite error {rc}: {}", message.to_string_lossy()))
    }

    fn exec(&mut self, sql: &str) -> Result<(), String> {
        let sql = cstring(sql);
        let rc = unsafe {
            libsqlite3_sys::sqlite3_exec(
                self.db,
                sql.as_ptr(),
                None,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        self.check(rc)
    }

    fn insert_row(&mut self) -> Result<(), String> {
        use libsqlite3_sys as ffi;
        let values = row();
        let mut rc = ffi::SQLITE_OK;
        for (i, value) in values.iter().enumerate() {
            rc = unsafe {
                ffi::sqlite3_bind_text(
                    self.insert,
                    i as c_int + 1,
                    value.as_ptr() as *const c_char,
                    value.len() as c_int,
                    ffi::SQLITE_TRANSIENT(),
                )
            };
            if rc != ffi::SQLITE_OK {
                break;
            }
        }
        if rc == ffi::SQLITE_OK {
            rc = unsafe { ffi::sqlite3_step(self.insert) };
        }
        unsafe { ffi::sqlite3_reset(self.insert) };
        self.check(rc)
    }

    fn insert(&mut self, rows: usize) -> Result<(), String> {
        if rows == 1 {
            return self.insert_row();
        }
        self.exec("BEGIN IMMEDIATE")?;
        let done = (0..rows).try_for_each(|_| self.insert_row());
        self.exec(if done.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
        done
    }
}

/// One PostgreSQL connection with the insert prepared on it.
struct Postgres {
    conn: *mut pq_sys::PGconn,
}

// Used behind a mutex, one thread at a time.
unsafe impl Send for Postgres {}

impl Postgres {
    fn open(url: &str, first: bool) -> Result<Postgres, String> {
        let conn = Postgres {
            conn: unsafe { pq_sys::PQconnectdb(cstring(url).as_ptr()) },
        };
        if unsafe { pq_sys::PQstatus(conn.conn) } != pq_sys::ConnStatusType::CONNECTION_OK {
            return Err(conn.error());
        }
        if first {
            let table = format!(
                "CREATE TABLE IF NOT EXISTS events ({});",
                COLUMNS.replace("{SEQ}", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY")
            );
            conn.exec(&table)?;
            for index in INDEXES.split("; ") {
                conn.exec(index)?;
            }
        }
        let result = unsafe {
            pq_sys::PQprepare(
                conn.conn,
                c"insert".as_ptr(),
                cstring(INSERT_POSTGRES).as_ptr(),
                5,
                std::ptr::null(),
            )
        };
        conn.done(result)?;
        Ok(conn)
    }

    fn error(&self) -> String {
        let message = unsafe { CStr::from_ptr(pq_sys::PQerrorMessage(self.conn)) };
        format!("PostgreSQL error: {}", message.to_string_lossy().trim())
    }

    /// Reads a result's status and frees it.
    fn done(&self, result: *mut pq_sys::PGresult) -> Result<(), String> {
        let status = unsafe { pq_sys::PQresultStatus(result) };
        unsafe { pq_sys::PQclear(result) };
        match status {
            pq_sys::ExecStatusType::PGRES_COMMAND_OK | pq_sys::ExecStatusType::PGRES_TUPLES_OK => {
                Ok(())
            }
            _ => Err(self.error()),
        }
    }

    fn exec(&self, sql: &str) -> Result<(), String> {
        self.done(unsafe { pq_sys::PQexec(self.conn, cstring(sql).as_ptr()) })
    }

    fn insert_row(&self) -> Result<(), String> {
        let values: Vec<CString> = row().iter().map(|v| cstring(v)).collect();
        let pointers: Vec<*const c_char> = values.iter().map(|v| v.as_ptr()).collect();
        let result = unsafe {
            pq_sys::PQexecPrepared(
                self.conn,
                c"insert".as_ptr(),
                pointers.len() as c_int,
                pointers.as_ptr(),
                std::ptr::null(),
                std::ptr::null(),
                0,
            )
        };
        self.done(result)
    }

    fn insert(&self, rows: usize) -> Result<(), String> {
        if rows == 1 {
            return self.insert_row();
        }
        self.exec("BEGIN")?;
        let done = (0..rows).try_for_each(|_| self.insert_row());
        self.exec(if done.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
        done
    }
}

enum Store {
    Sqlite(Mutex<Sqlite>),
    Postgres(Vec<Mutex<Postgres>>, AtomicUsize),
}

impl Store {
    fn insert(&self, rows: usize) -> Result<(), String> {
        match self {
            Store::Sqlite(conn) => conn.lock().map_err(|e| e.to_string())?.insert(rows),
            Store::Postgres(conns, next) => {
                let i = next.fetch_add(1, Ordering::Relaxed) % conns.len();
                conns[i].lock().map_err(|e| e.to_string())?.insert(rows)
            }
        }
    }
}

async fn constant() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

#[derive(serde::Deserialize)]
struct Rows {
    rows: usize,
}

async fn insert(store: web::Data<Store>, rows: usize) -> HttpResponse {
    match web::block(move || store.insert(rows)).await {
        Ok(Ok(())) => HttpResponse::Created().json(serde_json::json!({"rows": rows})),
        Ok(Err(e)) => HttpResponse::InternalServerError().body(e),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, database, address] = args.as_slice() else {
        return Err("usage: baseline <SQLite file | postgres://URL> <address:port>".into());
    };
    let store = if database.starts_with("postgres") {
        let size: usize = std::env::var("DB_POOL_SIZE")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(8);
        let conns = (0..size)
            .map(|i| Postgres::open(database, i == 0).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Store::Postgres(conns, AtomicUsize::new(0))
    } else {
        Store::Sqlite(Mutex::new(Sqlite::open(database)?))
    };
    let store = web::Data::from(Arc::new(store));
    HttpServer::new(move || {
        App::new()
            .app_data(store.clone())
            .route("/h", web::get().to(constant))
            .route(
                "/r",
                web::post().to(|store: web::Data<Store>, _body: web::Bytes| insert(store, 1)),
            )
            .route(
                "/r/batch",
                web::post().to(
                    |store: web::Data<Store>, rows: web::Query<Rows>, _body: web::Bytes| {
                        insert(store, rows.rows.clamp(1, 10_000))
                    },
                ),
            )
    })
    .bind(address.as_str())?
    .run()
    .await?;
    Ok(())
}
