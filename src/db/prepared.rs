//! The statements written for every event, kept prepared.
//!
//! diesel prepares an UPDATE, an upsert, a hand-written statement or an insert with a
//! nullable column anew at every execution (on SQLite that also compiles the triggers the
//! statement fires). The writes that every event makes are written here once, as SQL with
//! `?` for each value, under a marker type that diesel keeps the prepared statement by; the
//! placeholders become `$1, $2, ...` on PostgreSQL.

use std::marker::PhantomData;
use std::sync::LazyLock;

use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Double, HasSqlType, Nullable, Text, Timestamp};
use diesel::{QueryResult, RunQueryDsl};

use super::models::{Container, NewEvent};
use super::DbConnection;
use crate::domain::figures::{Counters, Key};

/// One value of a statement.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    Text(&'a str),
    MaybeText(Option<&'a str>),
    Int(i64),
    Time(NaiveDateTime),
    MaybeTime(Option<NaiveDateTime>),
}

/// A statement kept prepared under the type `Q`, which names it (and only it).
pub struct Prepared<'a, Q> {
    sql: &'a str,
    values: Vec<Value<'a>>,
    marker: PhantomData<Q>,
}

impl<'a, Q> Prepared<'a, Q> {
    fn new(sql: &'a str, values: Vec<Value<'a>>) -> Self {
        Prepared {
            sql,
            values,
            marker: PhantomData,
        }
    }
}

impl<Q: 'static> QueryId for Prepared<'_, Q> {
    type QueryId = Q;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<Q, DB> QueryFragment<DB> for Prepared<'_, Q>
where
    DB: Backend + HasSqlType<Text> + HasSqlType<BigInt> + HasSqlType<Timestamp>,
    str: ToSql<Text, DB>,
    i64: ToSql<BigInt, DB>,
    NaiveDateTime: ToSql<Timestamp, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let mut pieces = self.sql.split('?');
        out.push_sql(pieces.next().unwrap_or_default());
        let mut values = self.values.iter();
        for piece in pieces {
            let value = values.next().ok_or_else(|| mismatch(self.sql))?;
            match value {
                Value::Text(v) => out.push_bind_param::<Text, str>(v)?,
                Value::MaybeText(v) => out.push_bind_param::<Nullable<Text>, _>(v)?,
                Value::Int(v) => out.push_bind_param::<BigInt, i64>(v)?,
                Value::Time(v) => out.push_bind_param::<Timestamp, NaiveDateTime>(v)?,
                Value::MaybeTime(v) => out.push_bind_param::<Nullable<Timestamp>, _>(v)?,
            }
            out.push_sql(piece);
        }
        match values.next() {
            Some(_) => Err(mismatch(self.sql)),
            None => Ok(()),
        }
    }
}

fn mismatch(sql: &str) -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(
        format!("the statement {sql:?} was given another number of values than it has marks")
            .into(),
    )
}

impl<Q: 'static> Prepared<'_, Q> {
    pub fn run(self, conn: &mut DbConnection) -> QueryResult<usize> {
        crate::each_backend!(conn, c => self.execute(c))
    }
}

impl<Q, Conn> RunQueryDsl<Conn> for Prepared<'_, Q> {}

/// A prepared statement that reads one value of SQL type `ST`.
pub struct Select<'a, Q, ST>(Prepared<'a, Q>, PhantomData<ST>);

impl<Q: 'static, ST> QueryId for Select<'_, Q, ST> {
    type QueryId = Q;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<Q, ST, DB> QueryFragment<DB> for Select<'_, Q, ST>
where
    DB: Backend,
    for<'a> Prepared<'a, Q>: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(out)
    }
}

impl<Q, ST: diesel::expression::TypedExpressionType> Query for Select<'_, Q, ST> {
    type SqlType = ST;
}

impl<Q, ST, Conn> RunQueryDsl<Conn> for Select<'_, Q, ST> {}

/// Names the statement reading what a shop's collection alert depends on.
pub struct CollectionState;

/// What a shop's collection alert depends on: its dirty containers, when the longest-waiting
/// of them was last scanned, its own thresholds (if it has them) and whether the alert is in
/// force.
pub type CollectionRow = (i64, Option<NaiveDateTime>, Option<i64>, Option<f64>, i64);

/// The SQL types of [`CollectionRow`].
pub type CollectionTypes = (
    BigInt,
    Nullable<Timestamp>,
    Nullable<BigInt>,
    Nullable<Double>,
    BigInt,
);

/// Reads a shop's [`CollectionRow`] in one statement rather than four: on PostgreSQL each is
/// a round trip, in every scan at a shop.
///
/// The state and condition are written in the statement, not bound: SQLite uses the partial
/// index `containers_dirty_since` only when it can see them, and would plan a statement with
/// bound values for them again at every execution. `ORDER BY … LIMIT 1` (a literal limit)
/// rather than `MIN()`: PostgreSQL, with statistics that predate a burst of returns, planned
/// `MIN()` as a pass over every dirty container of the site (4,891 index entries, 5 ms, in
/// each scan) instead of reading the first.
pub fn collection_state<'a>(
    site_id: &'a str,
    kind: &'a str,
) -> Select<'a, CollectionState, CollectionTypes> {
    Select(
        Prepared::new(
            "SELECT \
             (SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM holdings_now \
              WHERE site_id = ? AND state = 'at_site' AND condition = 'dirty'), \
             (SELECT last_event_at FROM containers \
              WHERE site_id = ? AND state = 'at_site' AND condition = 'dirty' \
              ORDER BY last_event_at LIMIT 1), \
             (SELECT min_dirty FROM collection_thresholds WHERE site_id = ?), \
             (SELECT max_wait_days FROM collection_thresholds WHERE site_id = ?), \
             (SELECT COUNT(*) FROM alerts \
              WHERE kind = ? AND subject = ? AND cleared_at IS NULL)",
            vec![
                Value::Text(site_id),
                Value::Text(site_id),
                Value::Text(site_id),
                Value::Text(site_id),
                Value::Text(kind),
                Value::Text(site_id),
            ],
        ),
        PhantomData,
    )
}

impl<Q: 'static> Select<'_, Q, CollectionTypes> {
    pub fn row(self, conn: &mut DbConnection) -> QueryResult<CollectionRow> {
        crate::each_backend!(conn, c => self.get_result(c))
    }
}

/// Names the statement ending an alert.
pub struct ClearAlert;

/// Ends the alert in force of `kind` about `subject`, if there is one.
pub fn clear_alert<'a>(
    kind: &'a str,
    subject: &'a str,
    now: NaiveDateTime,
) -> Prepared<'a, ClearAlert> {
    Prepared::new(
        "UPDATE alerts SET cleared_at = ? WHERE kind = ? AND subject = ? AND cleared_at IS NULL",
        vec![Value::Time(now), Value::Text(kind), Value::Text(subject)],
    )
}

/// Names the statement writing a container's row.
pub struct ContainerRow;

/// Writes back every column a recorded event can change.
pub fn update_container(c: &Container) -> Prepared<'_, ContainerRow> {
    Prepared::new(
        "UPDATE containers SET state = ?, condition = ?, site_id = ?, shipment_id = ?, \
         dest_site_id = ?, batch_id = ?, uses = ?, retired_reason = ?, last_event_at = ?, \
         updated_at = ?, last_fill_at = ?, open_trips = ? WHERE id = ?",
        vec![
            Value::Text(&c.state),
            Value::Text(&c.condition),
            Value::Text(&c.site_id),
            Value::MaybeText(c.shipment_id.as_deref()),
            Value::MaybeText(c.dest_site_id.as_deref()),
            Value::MaybeText(c.batch_id.as_deref()),
            Value::Int(c.uses),
            Value::MaybeText(c.retired_reason.as_deref()),
            Value::Time(c.last_event_at),
            Value::Time(c.updated_at),
            Value::MaybeTime(c.last_fill_at),
            Value::Text(&c.open_trips),
            Value::Text(&c.id),
        ],
    )
}

/// Names the statement adding one event.
pub struct EventRow;

pub fn insert_event(e: &NewEvent) -> Prepared<'_, EventRow> {
    Prepared::new(
        "INSERT INTO events (id, container_id, action, site_id, to_site_id, at, recorded_at, \
         user_id, shipment_id, batch_id, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            Value::Text(&e.id),
            Value::Text(&e.container_id),
            Value::Text(&e.action),
            Value::Text(&e.site_id),
            Value::MaybeText(e.to_site_id.as_deref()),
            Value::Time(e.at),
            Value::Time(e.recorded_at),
            Value::MaybeText(e.user_id.as_deref()),
            Value::MaybeText(e.shipment_id.as_deref()),
            Value::MaybeText(e.batch_id.as_deref()),
            Value::MaybeText(e.reason.as_deref()),
        ],
    )
}

/// Names the statement adding to one day's counters.
pub struct FiguresRow;

static ADD_FIGURES: LazyLock<String> = LazyLock::new(|| {
    let fields = Counters::FIELDS;
    format!(
        "INSERT INTO daily_figures (day, site_id, type_id, {}) VALUES (?, ?, ?, {}) \
         ON CONFLICT (day, site_id, type_id) DO UPDATE SET {}",
        fields.join(", "),
        vec!["?"; fields.len()].join(", "),
        figures_added(),
    )
});

/// `fills = daily_figures.fills + excluded.fills, ...`: the SET list of an upsert adding to
/// the counters (here, and in the fold of PostgreSQL's deltas).
pub(crate) fn figures_added() -> String {
    Counters::FIELDS
        .iter()
        .map(|f| format!("{f} = daily_figures.{f} + excluded.{f}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Adds `c` to the counters of `key` in place, creating its row if needed (SQLite, whose
/// single writer waits on nobody).
pub fn add_figures<'a>(key: &'a Key, day: &'a str, c: &Counters) -> Prepared<'a, FiguresRow> {
    Prepared::new(&ADD_FIGURES, figure_values(key, day, c))
}

/// Names the statement appending to the counters' deltas.
pub struct FigureDeltaRow;

static APPEND_FIGURES: LazyLock<String> = LazyLock::new(|| {
    let fields = Counters::FIELDS;
    format!(
        "INSERT INTO daily_figure_deltas (day, site_id, type_id, {}) VALUES (?, ?, ?, {})",
        fields.join(", "),
        vec!["?"; fields.len()].join(", "),
    )
});

/// Appends `c` to the counters' deltas of `key` (PostgreSQL: a new row, no lock on a row
/// that concurrent writers share; `deltas::fold` adds it to the counters later).
pub fn append_figures<'a>(
    key: &'a Key,
    day: &'a str,
    c: &Counters,
) -> Prepared<'a, FigureDeltaRow> {
    Prepared::new(&APPEND_FIGURES, figure_values(key, day, c))
}

fn figure_values<'a>(key: &'a Key, day: &'a str, c: &Counters) -> Vec<Value<'a>> {
    let mut values = vec![
        Value::Text(day),
        Value::Text(&key.site_id),
        Value::Text(&key.type_id),
    ];
    values.extend(c.values().into_iter().map(Value::Int));
    values
}

/// Names the statement counting containers on board of a shipment.
pub struct LoadRow;

pub fn add_load<'a>(shipment_id: &'a str, type_id: &'a str, n: i64) -> Prepared<'a, LoadRow> {
    Prepared::new(
        "INSERT INTO shipment_loads (shipment_id, type_id, containers) VALUES (?, ?, ?) \
         ON CONFLICT (shipment_id, type_id) DO UPDATE \
         SET containers = shipment_loads.containers + excluded.containers",
        vec![
            Value::Text(shipment_id),
            Value::Text(type_id),
            Value::Int(n),
        ],
    )
}

/// Names the statement closing a container's open trip.
pub struct TripReturn;

pub fn close_trip(container_id: &str, at: NaiveDateTime) -> Prepared<'_, TripReturn> {
    Prepared::new(
        "UPDATE trips SET returned_at = ? WHERE container_id = ? AND returned_at IS NULL",
        vec![Value::Time(at), Value::Text(container_id)],
    )
}

/// Names the statement opening a trip.
pub struct TripRow;

pub fn insert_trip<'a>(
    container_id: &'a str,
    shop_id: &'a str,
    type_id: &'a str,
    received_at: NaiveDateTime,
    returned_at: Option<NaiveDateTime>,
) -> Prepared<'a, TripRow> {
    Prepared::new(
        "INSERT INTO trips (container_id, shop_id, type_id, received_at, returned_at) \
         VALUES (?, ?, ?, ?, ?)",
        vec![
            Value::Text(container_id),
            Value::Text(shop_id),
            Value::Text(type_id),
            Value::Time(received_at),
            Value::MaybeTime(returned_at),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::pg::Pg;
    use diesel::sqlite::Sqlite;

    #[test]
    fn marks_become_each_backend_s_placeholders() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 5)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .expect("date");
        let q = close_trip("c1", at);
        assert_eq!(
            diesel::debug_query::<Pg, _>(&q).to_string(),
            "UPDATE trips SET returned_at = $1 WHERE container_id = $2 AND returned_at IS NULL \
             -- binds: [2026-01-05T08:00:00, \"c1\"]"
        );
        assert_eq!(
            diesel::debug_query::<Sqlite, _>(&q).to_string(),
            "UPDATE trips SET returned_at = ? WHERE container_id = ? AND returned_at IS NULL \
             -- binds: [2026-01-05T08:00:00, \"c1\"]"
        );
    }

    #[test]
    fn a_statement_given_the_wrong_number_of_values_is_an_error_not_a_query() {
        struct Wrong;
        let mut out = <Sqlite as Backend>::QueryBuilder::default();
        for values in [vec![Value::Int(1)], vec![Value::Int(1); 3]] {
            let q: Prepared<'_, Wrong> = Prepared::new("SELECT ? + ?", values);
            let built = QueryFragment::<Sqlite>::to_sql(&q, &mut out, &Sqlite);
            let error = built.expect_err("too few or too many values").to_string();
            assert!(error.contains("another number of values"), "{error}");
        }
    }
}
