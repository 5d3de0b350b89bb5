//! Reading the figures' counters: sums over a period, the fleet, the shipments.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text, Timestamp};

use super::figures::placeholder;
use super::models::ContainerType;
use super::schema::{container_types, containers, shipment_loads};
use super::DbConnection;
use crate::domain::figures::{Contributions, Counters};
use crate::domain::report::{FleetDay, ShipmentLine};

/// The filters of a report.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub site_id: Option<String>,
    pub type_id: Option<String>,
}

#[derive(QueryableByName)]
struct SummedRow {
    #[diesel(sql_type = Text)]
    group_key: String,
    #[diesel(sql_type = BigInt)]
    fills: i64,
    #[diesel(sql_type = BigInt)]
    first_fills: i64,
    #[diesel(sql_type = BigInt)]
    cycles: i64,
    #[diesel(sql_type = BigInt)]
    cycle_ms: i64,
    #[diesel(sql_type = BigInt)]
    returns: i64,
    #[diesel(sql_type = BigInt)]
    trips: i64,
    #[diesel(sql_type = BigInt)]
    trips_returned: i64,
    #[diesel(sql_type = BigInt)]
    retired: i64,
    #[diesel(sql_type = BigInt)]
    broken: i64,
    #[diesel(sql_type = BigInt)]
    lost: i64,
    #[diesel(sql_type = BigInt)]
    washes: i64,
    #[diesel(sql_type = BigInt)]
    commissioned: i64,
    #[diesel(sql_type = BigInt)]
    commissioned_us: i64,
    #[diesel(sql_type = BigInt)]
    retired_us: i64,
}

impl SummedRow {
    fn counters(&self) -> Counters {
        Counters {
            fills: self.fills,
            first_fills: self.first_fills,
            cycles: self.cycles,
            cycle_ms: self.cycle_ms,
            returns: self.returns,
            trips: self.trips,
            trips_returned: self.trips_returned,
            retired: self.retired,
            broken: self.broken,
            lost: self.lost,
            washes: self.washes,
            commissioned: self.commissioned,
            commissioned_us: self.commissioned_us,
            retired_us: self.retired_us,
        }
    }
}

enum Value {
    Text(String),
    Stamp(NaiveDateTime),
}

/// A statement with its bound values, built for the connection's backend.
struct Filtered {
    sql: String,
    binds: Vec<Value>,
}

impl Filtered {
    fn new() -> Filtered {
        Filtered {
            sql: String::new(),
            binds: vec![],
        }
    }

    fn bind(&mut self, conn: &DbConnection, value: &str) -> String {
        self.binds.push(Value::Text(value.to_owned()));
        placeholder(conn, self.binds.len())
    }

    fn bind_time(&mut self, conn: &DbConnection, value: NaiveDateTime) -> String {
        self.binds.push(Value::Stamp(value));
        placeholder(conn, self.binds.len())
    }

    fn load<
        T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
    >(
        self,
        conn: &mut DbConnection,
    ) -> QueryResult<Vec<T>> {
        crate::each_backend!(&mut *conn, db => {
            let mut q = diesel::sql_query(&self.sql).into_boxed();
            for b in &self.binds {
                q = match b {
                    Value::Text(t) => q.bind::<Text, _>(t.clone()),
                    Value::Stamp(t) => q.bind::<Timestamp, _>(*t),
                };
            }
            q.load::<T>(db)
        })
    }
}

/// Counters summed over the days in [from, to), grouped by `group` (a column of
/// daily_figures_now), with the scope's filters.
fn summed(
    conn: &mut DbConnection,
    group: Option<&str>,
    from: Option<NaiveDate>,
    to: NaiveDate,
    scope: &Scope,
) -> QueryResult<Vec<SummedRow>> {
    let mut f = Filtered::new();
    let sums: Vec<String> = Counters::FIELDS
        .iter()
        .map(|c| format!("CAST(COALESCE(SUM({c}), 0) AS BIGINT) AS {c}"))
        .collect();
    let mut conds = vec![format!(
        "day < {}",
        f.bind(conn, &to.format("%Y-%m-%d").to_string())
    )];
    if let Some(from) = from {
        conds.push(format!(
            "day >= {}",
            f.bind(conn, &from.format("%Y-%m-%d").to_string())
        ));
    }
    if let Some(site) = &scope.site_id {
        conds.push(format!("site_id = {}", f.bind(conn, site)));
    }
    if let Some(t) = &scope.type_id {
        conds.push(format!("type_id = {}", f.bind(conn, t)));
    }
    let (key, grouping) = match group {
        Some(g) => (g.to_owned(), format!(" GROUP BY {g}")),
        None => ("CAST('all' AS TEXT)".to_owned(), String::new()),
    };
    f.sql = format!(
        "SELECT {key} AS group_key, {} FROM daily_figures_now WHERE {}{grouping}",
        sums.join(", "),
        conds.join(" AND ")
    );
    f.load(conn)
}

/// The counters of the period, per container type.
pub fn totals_by_type(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    scope: &Scope,
) -> QueryResult<Vec<(String, Counters)>> {
    Ok(summed(conn, Some("type_id"), Some(from), to, scope)?
        .into_iter()
        .map(|r| (r.group_key.clone(), r.counters()))
        .collect())
}

/// Fills per (site, type) over the days in [from, to).
pub fn fills_by_site_and_type(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<HashMap<(String, String), i64>> {
    let rows = summed(
        conn,
        Some("site_id || '|' || type_id"),
        Some(from),
        to,
        &Scope::default(),
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let (site, t) = r.group_key.split_once('|')?;
            Some(((site.to_owned(), t.to_owned()), r.fills))
        })
        .collect())
}

/// The fleet's commissionings and retirements: those before `from`, and per day of the
/// period. Loop-wide: only the type filter applies.
pub fn fleet(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    type_id: Option<&str>,
) -> QueryResult<(i64, Vec<FleetDay>)> {
    let scope = Scope {
        site_id: None,
        type_id: type_id.map(str::to_owned),
    };
    let before: i64 = summed(conn, None, None, from, &scope)?
        .iter()
        .map(|r| r.commissioned - r.retired)
        .sum();
    let days = summed(conn, Some("day"), Some(from), to, &scope)?
        .into_iter()
        .filter_map(|r| {
            let day = NaiveDate::parse_from_str(&r.group_key, "%Y-%m-%d").ok()?;
            Some(FleetDay {
                day,
                commissioned: r.commissioned,
                commissioned_us: r.commissioned_us,
                retired: r.retired,
                retired_us: r.retired_us,
            })
        })
        .collect();
    Ok((before, days))
}

#[derive(QueryableByName)]
struct ShipmentRow {
    #[diesel(sql_type = Double)]
    distance_km: f64,
    #[diesel(sql_type = Text)]
    from_kind: String,
    #[diesel(sql_type = Text)]
    to_kind: String,
    #[diesel(sql_type = BigInt)]
    containers: i64,
    #[diesel(sql_type = Nullable<Text>)]
    vehicle: Option<String>,
    #[diesel(sql_type = Text)]
    from_site_id: String,
    #[diesel(sql_type = Text)]
    to_site_id: String,
}

/// A shipment of a report, with what the flows and the transport emissions need.
pub struct ShipmentFact {
    pub line: ShipmentLine,
    pub vehicle: Option<String>,
    pub from_site_id: String,
    pub to_site_id: String,
}

/// Shipments departed in [from, to): leaving or reaching the scope's site; with a type,
/// only those that carried one, with only that type's containers.
pub fn shipments(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
    scope: &Scope,
) -> QueryResult<Vec<ShipmentFact>> {
    let mut f = Filtered::new();
    let type_join = match &scope.type_id {
        Some(t) => format!(" AND l.type_id = {}", f.bind(conn, t)),
        None => String::new(),
    };
    let mut conds = vec![
        format!("s.departed_at >= {}", f.bind_time(conn, from)),
        format!("s.departed_at < {}", f.bind_time(conn, to)),
    ];
    if let Some(site) = &scope.site_id {
        let a = f.bind(conn, site);
        let b = f.bind(conn, site);
        conds.push(format!("(s.from_site_id = {a} OR s.to_site_id = {b})"));
    }
    let having = if scope.type_id.is_some() {
        " HAVING COALESCE(SUM(l.containers), 0) > 0"
    } else {
        ""
    };
    f.sql = format!(
        "SELECT s.distance_km AS distance_km, fs.kind AS from_kind, ts.kind AS to_kind, s.vehicle AS vehicle, \
         s.from_site_id AS from_site_id, s.to_site_id AS to_site_id, \
         CAST(COALESCE(SUM(l.containers), 0) AS BIGINT) AS containers \
         FROM shipments s JOIN sites fs ON fs.id = s.from_site_id JOIN sites ts ON ts.id = s.to_site_id \
         LEFT JOIN shipment_loads l ON l.shipment_id = s.id{type_join} \
         WHERE {} GROUP BY s.id, s.distance_km, fs.kind, ts.kind, s.vehicle, s.from_site_id, s.to_site_id{having}",
        conds.join(" AND ")
    );
    let rows: Vec<ShipmentRow> = f.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| ShipmentFact {
            line: ShipmentLine {
                from_kind: r.from_kind,
                to_kind: r.to_kind,
                distance_km: r.distance_km,
                containers: r.containers,
            },
            vehicle: r.vehicle,
            from_site_id: r.from_site_id,
            to_site_id: r.to_site_id,
        })
        .collect())
}

pub fn types_by_id(conn: &mut DbConnection) -> QueryResult<HashMap<String, ContainerType>> {
    Ok(container_types::table
        .select(ContainerType::as_select())
        .load(conn)?
        .into_iter()
        .map(|t| (t.id.clone(), t))
        .collect())
}

/// Every container id with its type, for recomputation.
pub fn container_types_of_all(conn: &mut DbConnection) -> QueryResult<Vec<(String, String)>> {
    containers::table
        .select((containers::id, containers::type_id))
        .order(containers::id)
        .load(conn)
}

/// All the stored counters.
pub fn stored(conn: &mut DbConnection) -> QueryResult<Contributions> {
    let mut f = Filtered::new();
    let cols = Counters::FIELDS.join(", ");
    f.sql = format!(
        "SELECT day || '|' || site_id || '|' || type_id AS group_key, {cols} FROM daily_figures_now"
    );
    let rows: Vec<SummedRow> = f.load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let mut parts = r.group_key.splitn(3, '|');
            let day = NaiveDate::parse_from_str(parts.next()?, "%Y-%m-%d").ok()?;
            let key = crate::domain::figures::Key {
                day,
                site_id: parts.next()?.to_owned(),
                type_id: parts.next()?.to_owned(),
            };
            Some((key, r.counters()))
        })
        .filter(|(_, c)| !c.is_zero())
        .collect())
}

/// The containers on board of each shipment by type, as stored.
pub fn stored_loads(conn: &mut DbConnection) -> QueryResult<Vec<(String, String, i64)>> {
    shipment_loads::table
        .select((
            shipment_loads::shipment_id,
            shipment_loads::type_id,
            shipment_loads::containers,
        ))
        .order((shipment_loads::shipment_id, shipment_loads::type_id))
        .load(conn)
}
