//! Writing the figures' counters, kept up to date with every event (read in `sums`).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::DbConnection;
use crate::domain::figures::{Contributions, Counters};

/// `$1, $2, ...` on PostgreSQL, `?` on SQLite: the placeholders of a hand-written statement.
pub(crate) fn placeholder(conn: &DbConnection, n: usize) -> String {
    match conn {
        DbConnection::Postgres(_) => format!("${n}"),
        DbConnection::Sqlite(_) => "?".to_owned(),
    }
}

/// Adds `delta` to the counters, creating the rows it needs. `INSERT ... ON CONFLICT DO
/// UPDATE` has the same form on both databases, and stays correct with several writers.
pub fn add(conn: &mut DbConnection, delta: &Contributions) -> QueryResult<()> {
    let fields = Counters::FIELDS;
    let marks: Vec<String> = (1..=fields.len() + 3)
        .map(|n| placeholder(conn, n))
        .collect();
    let sql = format!(
        "INSERT INTO daily_figures (day, site_id, type_id, {}) VALUES ({}) \
         ON CONFLICT (day, site_id, type_id) DO UPDATE SET {}",
        fields.join(", "),
        marks.join(", "),
        fields
            .iter()
            .map(|f| format!("{f} = daily_figures.{f} + excluded.{f}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    for (key, c) in delta {
        let day = key.day.format("%Y-%m-%d").to_string();
        crate::each_backend!(&mut *conn, db => {
            let mut q = diesel::sql_query(&sql)
                .into_boxed()
                .bind::<Text, _>(day.clone())
                .bind::<Text, _>(key.site_id.clone())
                .bind::<Text, _>(key.type_id.clone());
            for v in c.values() {
                q = q.bind::<BigInt, _>(v);
            }
            q.execute(db)
        })?;
    }
    Ok(())
}

/// Counts one more container of `type_id` on board of a shipment.
pub fn load(conn: &mut DbConnection, shipment_id: &str, type_id: &str) -> QueryResult<()> {
    let sql = format!(
        "INSERT INTO shipment_loads (shipment_id, type_id, containers) VALUES ({}, {}, 1) \
         ON CONFLICT (shipment_id, type_id) DO UPDATE SET containers = shipment_loads.containers + 1",
        placeholder(conn, 1),
        placeholder(conn, 2)
    );
    crate::each_backend!(&mut *conn, db => diesel::sql_query(&sql)
        .bind::<Text, _>(shipment_id)
        .bind::<Text, _>(type_id)
        .execute(db))?;
    Ok(())
}
