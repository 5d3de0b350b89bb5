//! Writing the figures' counters, kept up to date with every event (read in `sums`).

use std::collections::BTreeMap;

use diesel::prelude::*;

use super::DbConnection;
use crate::domain::figures::Contributions;

/// `$1, $2, ...` on PostgreSQL, `?` on SQLite: the placeholders of a hand-written statement.
pub(crate) fn placeholder(conn: &DbConnection, n: usize) -> String {
    match conn {
        DbConnection::Postgres(_) => format!("${n}"),
        DbConnection::Sqlite(_) => "?".to_owned(),
    }
}

/// Adds `delta` to the counters: in place on SQLite, as deltas on PostgreSQL, where
/// concurrent writers would otherwise wait on each other's counter rows (migration 14).
pub fn add(conn: &mut DbConnection, delta: &Contributions) -> QueryResult<()> {
    for (key, c) in delta {
        let day = key.day.format("%Y-%m-%d").to_string();
        if matches!(conn, DbConnection::Sqlite(_)) {
            super::prepared::add_figures(key, &day, c).run(conn)?;
        } else {
            super::prepared::append_figures(key, &day, c).run(conn)?;
        }
    }
    Ok(())
}

/// What the events of one transaction add to the counters and to the shipments' loads,
/// summed as they are recorded and written once, in key order, before the transaction
/// ends: a 500-container shipment writes its day's counters once, not 500 times, and
/// concurrent writers take the counters' row locks in one order.
#[derive(Debug, Default)]
pub struct Pending {
    figures: Contributions,
    loads: BTreeMap<(String, String), i64>,
}

impl Pending {
    pub fn add(&mut self, delta: &Contributions) {
        for (key, c) in delta {
            self.figures.entry(key.clone()).or_default().add(c);
        }
    }

    /// Counts one more container of `type_id` on board of a shipment.
    pub fn load(&mut self, shipment_id: &str, type_id: &str) {
        *self
            .loads
            .entry((shipment_id.to_owned(), type_id.to_owned()))
            .or_default() += 1;
    }

    /// Writes what was summed, and forgets it.
    pub fn flush(&mut self, conn: &mut DbConnection) -> QueryResult<()> {
        add(conn, &std::mem::take(&mut self.figures))?;
        for ((shipment_id, type_id), n) in std::mem::take(&mut self.loads) {
            super::prepared::add_load(&shipment_id, &type_id, n).run(conn)?;
        }
        Ok(())
    }
}
