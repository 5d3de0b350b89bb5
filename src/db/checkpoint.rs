//! The server's upkeep thread: checkpoints of SQLite's write-ahead log, or on PostgreSQL
//! the folding of the counters' deltas.
//!
//! By default the transaction whose commit fills the log past 1,000 pages copies the log into
//! the database file before it returns: under steady scans that is a request in every few
//! dozen held up for the copy, which made the slowest percent of scans wait tens of
//! milliseconds (docs/PERFORMANCE.md). `boucle serve` runs passive checkpoints from this
//! thread instead: they take no lock a writer or a reader waits on, and the writers keep
//! SQLite's own checkpoint only as a safety net past a far longer log.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;

use super::{Backend, Db, DbConnection};

/// The writers' own checkpoint, past 10,000 pages (40 MB) of log: reached only if this
/// thread falls behind.
pub const WRITER_LIMIT: &str = "PRAGMA wal_autocheckpoint = 10000;";

/// How often the thread copies the log: a tenth of a second keeps the log to a few thousand
/// pages at the highest scan rates measured.
const EVERY: Duration = Duration::from_millis(100);

/// The running thread; dropping this stops it.
pub struct Upkeep {
    stop: Arc<AtomicBool>,
}

impl Drop for Upkeep {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Starts the server's upkeep thread: on SQLite it checkpoints the log, on PostgreSQL it
/// folds the counters' deltas ([`super::deltas`]), each a tenth of a second. Its errors are
/// logged and the next round tries again; a last round runs when it stops.
pub fn spawn(db: &Db) -> anyhow::Result<Upkeep> {
    let db = db.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let mut round: u64 = 0;
    std::thread::Builder::new()
        .name("boucle-upkeep".into())
        .spawn(move || loop {
            let last = stopped.load(Ordering::Relaxed);
            let done = match db.backend {
                Backend::Sqlite => checkpoint(&db),
                Backend::Postgres => super::deltas::upkeep(&db, round),
            };
            if let Err(e) = done {
                tracing::warn!(error.cause_chain = ?e, backend = db.backend.as_str(), "upkeep of the database failed");
            }
            if last {
                break;
            }
            round += 1;
            std::thread::sleep(EVERY);
        })?;
    Ok(Upkeep { stop })
}

/// Copies what it can of the log into the database file, waiting for nobody.
fn checkpoint(db: &Db) -> anyhow::Result<()> {
    let mut conn = db.read_conn()?;
    if let DbConnection::Sqlite(c) = &mut *conn {
        c.batch_execute("PRAGMA wal_checkpoint(PASSIVE);")?;
    }
    Ok(())
}
