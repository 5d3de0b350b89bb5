//! The database layer: knows nothing of HTTP. Functions take a connection and return
//! `QueryResult` (or a domain outcome); [`Db`] runs them on the right pool.

pub mod answers;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod catalog;
pub mod change;
pub mod check;
pub mod checkpoint;
pub mod containers;
pub mod deltas;
pub mod epcis;
pub mod factors;
pub mod figures;
pub mod holdings;
pub mod models;
pub mod prepared;
pub mod reports;
pub mod requests;
pub mod scans;
pub mod schema;
pub mod sessions;
pub mod shipments;
pub mod stock;
pub mod sums;
pub mod timelines;
pub mod trips;
pub mod undo;
pub mod users;
pub mod wash;

use std::time::Duration;

use anyhow::Context;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs `$body` with `$c` bound to the backend's own connection, for the statements that
/// diesel's multi-backend connection cannot express (batch inserts, row locks), and for the
/// lookups every scan or stock request makes: the multi-backend connection writes out a
/// query's SQL again at every execution, a quarter of the work of a stock request.
#[macro_export]
macro_rules! each_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgres($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}

pub type DbPool = Pool<ConnectionManager<DbConnection>>;
pub type PooledConn = PooledConnection<ConnectionManager<DbConnection>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Postgres => "postgresql",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// Set on every SQLite connection; the busy timeout first, so the others wait for a lock.
/// Reads go through a memory map of the first 32 MB of the file (the schema, and the upper
/// levels of the indexes while the database is young) and the page cache beyond it: mapped
/// pages count as the server's resident memory, and with a map of 1 GB a server on a 1.6 GB
/// database stood at 1 GB resident (docs/PERFORMANCE.md).
const SQLITE_CONNECTION_PRAGMAS: &str =
    "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
     PRAGMA mmap_size = 33554432;";

/// SQLite settings applied to every connection: WAL so readers never wait for the writer,
/// NORMAL sync (durable at checkpoints, safe against corruption), a busy timeout for the
/// command line writing while the server runs, and foreign keys.
#[derive(Debug)]
struct SqlitePragmas {
    checkpoints: Checkpoints,
    writer: bool,
    /// The server's connections: PostgreSQL's statements limited to [`STATEMENT_TIMEOUT`].
    /// The command line's (a check of the whole log, a restore) may take longer.
    served: bool,
}

/// The longest a statement of the service may run on PostgreSQL before the server cancels
/// it: a report of the longest period allowed takes well under a second, and one stuck
/// statement must not hold a connection that sign-ins and tills wait for. SQLite has no such
/// limit; there the bounds of rule 5 (periods, containers per request) bound the work.
pub const STATEMENT_TIMEOUT: &str = "SET statement_timeout = '30s';";

/// The single writer's page cache, 32 MB (SQLite's default is 2 MB): every write walks the
/// indexes it inserts into from their roots, and as the database grows their upper levels are
/// allocated further into the file, past the memory map. With 2 MB, the soak's p99 grew with
/// the database (docs/RELIABILITY.md).
const WRITER_CACHE: &str = "PRAGMA cache_size = -32768;";

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        if let (DbConnection::Postgres(c), true) = (&mut *conn, self.served) {
            c.batch_execute(STATEMENT_TIMEOUT)
                .map_err(diesel::r2d2::Error::QueryError)?;
        }
        if let DbConnection::Sqlite(c) = conn {
            c.batch_execute(SQLITE_CONNECTION_PRAGMAS)
                .map_err(diesel::r2d2::Error::QueryError)?;
            if self.checkpoints == Checkpoints::Background {
                c.batch_execute(checkpoint::WRITER_LIMIT)
                    .map_err(diesel::r2d2::Error::QueryError)?;
            }
            if self.writer {
                c.batch_execute(WRITER_CACHE)
                    .map_err(diesel::r2d2::Error::QueryError)?;
            }
        }
        Ok(())
    }
}

/// Who copies SQLite's write-ahead log back into the database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checkpoints {
    /// The transaction that fills the log past 1,000 pages, before it returns (SQLite's way).
    Writers,
    /// A thread of the server's ([`checkpoint::spawn`]); writers only past a far larger log.
    Background,
}

/// Pools for reading and for writing. On SQLite all writes go through one connection, so
/// writers queue in the service instead of failing on the database lock; on PostgreSQL both
/// are the same pool.
#[derive(Clone)]
pub struct Db {
    pub backend: Backend,
    reader: DbPool,
    writer: DbPool,
    /// Token checks and sign-in lookups, apart from the readers, so that long reports
    /// holding every reading connection never make sign-ins and devices wait.
    auth: DbPool,
    /// The server's pools, whose PostgreSQL statements are limited ([`STATEMENT_TIMEOUT`]).
    served: bool,
}

/// The connections of [`Db::auth_conn`]: a token check takes well under a millisecond.
const AUTH_POOL_SIZE: u32 = 2;

impl Db {
    /// Opens the database named by `url`, giving the real error when it cannot.
    pub fn connect(url: &str, pool_size: u32) -> anyhow::Result<Db> {
        Db::connect_with(url, pool_size, Checkpoints::Writers)
    }

    /// Opens the database, with the checkpoints of SQLite's log made as `checkpoints` says.
    pub fn connect_with(url: &str, pool_size: u32, checkpoints: Checkpoints) -> anyhow::Result<Db> {
        let backend = Backend::of_url(url);
        // Connect once directly, so a wrong URL or a server that is down gives its own error
        // rather than r2d2's time-out.
        match backend {
            Backend::Postgres => {
                PgConnection::establish(url)
                    .with_context(|| format!("cannot connect to PostgreSQL at {}", redact(url)))?;
            }
            Backend::Sqlite => {
                let mut c = SqliteConnection::establish(url)
                    .with_context(|| format!("cannot open the SQLite database file {url}"))?;
                // WAL is a property of the file: set it once, before the pool opens.
                c.batch_execute(SQLITE_CONNECTION_PRAGMAS)
                    .and_then(|()| c.batch_execute("PRAGMA journal_mode = WAL;"))
                    .with_context(|| format!("cannot set up the SQLite database file {url}"))?;
            }
        }
        let build = |size: u32, writer: bool| {
            Pool::builder()
                .max_size(size)
                .connection_timeout(Duration::from_secs(10))
                // A SQLite connection is a file, never lost: no `SELECT 1` at each checkout.
                // A PostgreSQL one is tested, so a restarted server costs no request.
                .test_on_check_out(backend == Backend::Postgres)
                .connection_customizer(Box::new(SqlitePragmas {
                    checkpoints,
                    writer,
                    // Only the server checkpoints in the background.
                    served: checkpoints == Checkpoints::Background,
                }))
                .build(ConnectionManager::<DbConnection>::new(url))
                .with_context(|| format!("cannot open a pool on {}", redact(url)))
        };
        let reader = build(pool_size, false)?;
        let writer = match backend {
            Backend::Postgres => reader.clone(),
            Backend::Sqlite => build(1, true)?,
        };
        let auth = build(AUTH_POOL_SIZE, false)?;
        Ok(Db {
            backend,
            reader,
            writer,
            auth,
            served: checkpoints == Checkpoints::Background,
        })
    }

    pub fn read_conn(&self) -> Result<PooledConn, diesel::r2d2::PoolError> {
        self.reader.get()
    }

    /// A reading connection if one is idle now, without waiting; always none on PostgreSQL,
    /// where every query is a round trip over the network.
    pub fn idle_sqlite_reader(&self) -> Option<PooledConn> {
        match self.backend {
            Backend::Sqlite => self.reader.try_get(),
            Backend::Postgres => None,
        }
    }

    pub fn write_conn(&self) -> Result<PooledConn, diesel::r2d2::PoolError> {
        self.writer.get()
    }

    /// A connection for token checks and sign-in lookups only ([`Db::auth`]).
    pub fn auth_conn(&self) -> Result<PooledConn, diesel::r2d2::PoolError> {
        self.auth.get()
    }

    /// An idle connection of [`Db::auth_conn`] on SQLite, without waiting.
    pub fn idle_sqlite_auth(&self) -> Option<PooledConn> {
        match self.backend {
            Backend::Sqlite => self.auth.try_get(),
            Backend::Postgres => None,
        }
    }

    /// Applies the migrations of this backend that are not applied yet.
    pub fn migrate(&self) -> anyhow::Result<Vec<String>> {
        let mut conn = self
            .write_conn()
            .context("cannot get a database connection")?;
        // A migration may rewrite a large table: no statement time limit for it, and the
        // connection's own again for what it serves next.
        if let DbConnection::Postgres(c) = &mut *conn {
            c.batch_execute("SET statement_timeout = 0;")
                .context("cannot lift the statement time limit for the migrations")?;
        }
        let migrations = match self.backend {
            Backend::Postgres => POSTGRES_MIGRATIONS,
            Backend::Sqlite => SQLITE_MIGRATIONS,
        };
        let applied: Vec<String> = conn
            .run_pending_migrations(migrations)
            .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?
            .iter()
            .map(ToString::to_string)
            .collect();
        if let (DbConnection::Postgres(c), true) = (&mut *conn, self.served) {
            c.batch_execute(STATEMENT_TIMEOUT)
                .context("cannot restore the statement time limit after the migrations")?;
        }
        Ok(applied)
    }
}

/// Runs `f` in a write transaction: `BEGIN IMMEDIATE` on SQLite, so the write lock is taken
/// at the start and a transaction never fails half-way on a lock upgrade.
pub fn write_tx<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    if !matches!(conn, DbConnection::Sqlite(_)) {
        return conn.transaction(f);
    }
    if let DbConnection::Sqlite(c) = conn {
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    }
    let outcome = f(conn);
    if let DbConnection::Sqlite(c) = conn {
        match &outcome {
            Ok(_) => AnsiTransactionManager::commit_transaction(c)?,
            Err(_) => AnsiTransactionManager::rollback_transaction(c)?,
        }
    }
    outcome
}

/// Runs the insert `f` in a savepoint and tells whether it made the row: false when a unique
/// index already held an equal one (another instance was first), without failing the
/// transaction around it.
pub fn insert_once(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> diesel::QueryResult<usize>,
) -> diesel::QueryResult<bool> {
    use diesel::result::{DatabaseErrorKind, Error};
    match conn.transaction(f) {
        Ok(_) => Ok(true),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            // Setting a password only fails on URLs that cannot have one.
            let _ = u.set_password(Some("****"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}
