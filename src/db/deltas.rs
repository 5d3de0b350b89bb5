//! The counters' deltas on PostgreSQL (migration 14).
//!
//! Several instances and connections write at once there. When every scan at a shop updated
//! the shop's counters of the day and its holdings in place, each held those rows' locks
//! until it committed, and the scans of one site ran one at a time (docs/PERFORMANCE.md).
//! Writers now append what they add, as rows no one else writes: the events' figures to
//! `daily_figure_deltas` ([`super::figures::add`]), the containers' moves to `holding_deltas`
//! (the `holdings_keep` trigger). The server's upkeep thread folds them into `daily_figures`
//! and `holdings` a tenth of a second at a time, one instance at a time, and the views
//! `daily_figures_now` and `holdings_now`, which every reader reads, add what is pending: a
//! figure read at any moment counts every committed event exactly once.
//!
//! On SQLite, whose one writer waits on nobody, the counters are kept in place and the views
//! are the tables.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::{Db, DbConnection};
use crate::domain::figures::Counters;

/// The advisory lock that keeps two instances from folding at once (the bytes of "boucle").
pub const FOLD_LOCK: i64 = 0x626f_7563_6c65;

/// Every how many rounds the thread also vacuums the deltas: a fold leaves the rows it moved
/// dead, and readers step over dead rows until they are vacuumed (autovacuum would wait a
/// minute, time for a busy loop to leave hundreds of thousands). Every round was tried once:
/// scans at one shop were slower in that run (707 a second, against 800 to 1,200). The tables
/// keep their emptied pages (migration 15), so a vacuum never waits for their exclusive lock.
const VACUUM_EVERY: u64 = 10;

/// A round of the upkeep thread on PostgreSQL: a fold, and now and then a vacuum.
pub fn upkeep(db: &Db, round: u64) -> anyhow::Result<()> {
    let mut conn = db.write_conn()?;
    fold(&mut conn)?;
    if round % VACUUM_EVERY == 0 {
        if let DbConnection::Postgres(c) = &mut *conn {
            c.batch_execute("VACUUM (SKIP_LOCKED) daily_figure_deltas, holding_deltas")?;
        }
    }
    Ok(())
}

/// Moves the pending deltas into the counters, in one transaction: a reader sees them either
/// pending or folded, never both nor neither. Returns whether it ran (false when another
/// instance was folding, or on SQLite, which has nothing to fold).
pub fn fold(conn: &mut DbConnection) -> QueryResult<bool> {
    let DbConnection::Postgres(pg) = conn else {
        return Ok(false);
    };
    pg.transaction(|c| {
        let mine: bool = diesel::select(diesel::dsl::sql::<Bool>(&format!(
            "pg_try_advisory_xact_lock({FOLD_LOCK})"
        )))
        .get_result(c)?;
        if mine {
            c.batch_execute(&fold_sql())?;
        }
        Ok(mine)
    })
}

/// The two statements of a fold: each deletes what is pending (what concurrent writers
/// commit meanwhile stays for the next fold) and adds its sums to the counters.
fn fold_sql() -> String {
    let fields = Counters::FIELDS;
    let sums: Vec<String> = fields.iter().map(|f| format!("sum({f})")).collect();
    format!(
        "WITH moved AS (DELETE FROM daily_figure_deltas RETURNING *) \
         INSERT INTO daily_figures (day, site_id, type_id, {}) \
         SELECT day, site_id, type_id, {} FROM moved GROUP BY day, site_id, type_id \
         ON CONFLICT (day, site_id, type_id) DO UPDATE SET {}; \
         WITH moved AS (DELETE FROM holding_deltas RETURNING *) \
         INSERT INTO holdings (site_id, type_id, state, condition, n) \
         SELECT site_id, type_id, state, condition, sum(n) FROM moved \
         GROUP BY site_id, type_id, state, condition \
         ON CONFLICT (site_id, type_id, state, condition) DO UPDATE SET n = holdings.n + excluded.n;",
        fields.join(", "),
        sums.join(", "),
        super::prepared::figures_added(),
    )
}

/// Drops the pending figures, for a rebuild of the counters from the events.
pub fn forget_figures(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Postgres(c) = conn {
        c.batch_execute("DELETE FROM daily_figure_deltas")?;
    }
    Ok(())
}

/// Drops the pending holdings, for a rebuild of the holdings from the containers.
pub fn forget_holdings(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Postgres(c) = conn {
        c.batch_execute("DELETE FROM holding_deltas")?;
    }
    Ok(())
}
