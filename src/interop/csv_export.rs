//! CSV exports of containers and events, in pages, for the command line and the API.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{containers, events};
use crate::db::DbConnection;
use crate::interop::csv::text_cell;

/// Every site, with the columns of the sites import, so that a new database can take them.
pub fn export_sites(
    conn: &mut DbConnection,
    out: &mut csv::Writer<impl std::io::Write>,
) -> anyhow::Result<u64> {
    out.write_record(["id", "name", "kind", "lat", "lon", "address", "email"])?;
    let sites = crate::db::catalog::list_sites(conn)?;
    for s in &sites {
        out.write_record([
            s.id.as_str(),
            &text_cell(&s.name),
            &s.kind,
            &s.lat.to_string(),
            &s.lon.to_string(),
            &text_cell(s.address.as_deref().unwrap_or("")),
            &text_cell(s.email.as_deref().unwrap_or("")),
        ])?;
    }
    Ok(sites.len() as u64)
}

/// Every container type in the order of their asset types, with the columns of the types
/// import, so that imported again they get the same asset types.
pub fn export_types(
    conn: &mut DbConnection,
    out: &mut csv::Writer<impl std::io::Write>,
) -> anyhow::Result<u64> {
    out.write_record([
        "id",
        "name",
        "material",
        "capacity_ml",
        "tare_mass_g",
        "single_use_mass_g",
    ])?;
    let mut types = crate::db::catalog::list_types(conn)?;
    types.sort_by_key(|t| t.asset_type);
    for t in &types {
        out.write_record([
            t.id.as_str(),
            &text_cell(&t.name),
            &text_cell(&t.material),
            &t.capacity_ml.map(|c| c.to_string()).unwrap_or_default(),
            &t.tare_mass_g.to_string(),
            &t.single_use_mass_g.to_string(),
        ])?;
    }
    Ok(types.len() as u64)
}

/// The columns of the exports.
pub const CONTAINER_COLUMNS: &[&str] = &[
    "code",
    "type_id",
    "state",
    "condition",
    "site_id",
    "dest_site_id",
    "shipment_id",
    "batch_id",
    "uses",
    "retired_reason",
    "last_event_at",
];
pub const EVENT_COLUMNS: &[&str] = &[
    "id",
    "code",
    "action",
    "site_id",
    "to_site_id",
    "at",
    "recorded_at",
    "shipment_id",
    "batch_id",
    "reason",
];

fn time(t: NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Every container, by code, as CSV rows written to `out`; returns how many.
pub fn export_containers(
    conn: &mut DbConnection,
    out: &mut csv::Writer<impl std::io::Write>,
    progress: &dyn Fn(u64),
) -> anyhow::Result<u64> {
    out.write_record(CONTAINER_COLUMNS)?;
    let mut n = 0u64;
    let mut after = String::new();
    loop {
        let page: Vec<crate::db::models::Container> = containers::table
            .filter(containers::code.gt(&after))
            .order(containers::code)
            .limit(10_000)
            .select(crate::db::models::Container::as_select())
            .load(conn)?;
        let Some(last) = page.last() else {
            return Ok(n);
        };
        after = last.code.clone();
        for c in page {
            out.write_record([
                c.code,
                c.type_id,
                c.state,
                c.condition,
                c.site_id,
                c.dest_site_id.unwrap_or_default(),
                c.shipment_id.unwrap_or_default(),
                c.batch_id.unwrap_or_default(),
                c.uses.to_string(),
                c.retired_reason.unwrap_or_default(),
                time(c.last_event_at),
            ])?;
            n += 1;
        }
        progress(n);
    }
}

/// The recorded events with `at` in [from, to), in time order, as CSV rows; returns how many.
pub fn export_events(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
    out: &mut csv::Writer<impl std::io::Write>,
    progress: &dyn Fn(u64),
) -> anyhow::Result<u64> {
    out.write_record(EVENT_COLUMNS)?;
    let mut n = 0u64;
    // Pages of 10,000 in time order (ties by recording order), each after the last one's end.
    let mut cursor: Option<(NaiveDateTime, i64)> = None;
    loop {
        let mut q = events::table
            .inner_join(containers::table)
            .filter(events::at.ge(from))
            .filter(events::at.lt(to))
            .filter(crate::live_events!())
            .order((events::at, events::seq))
            .limit(10_000)
            .select((crate::db::models::Event::as_select(), containers::code))
            .into_boxed();
        if let Some((at, seq)) = cursor {
            q = q.filter(
                events::at
                    .gt(at)
                    .or(events::at.eq(at).and(events::seq.gt(seq))),
            );
        }
        let page: Vec<(crate::db::models::Event, String)> = q.load(conn)?;
        let Some((last, _)) = page.last() else {
            return Ok(n);
        };
        cursor = Some((last.at, last.seq));
        for (e, code) in page {
            out.write_record([
                e.id,
                code,
                e.action,
                e.site_id,
                e.to_site_id.unwrap_or_default(),
                time(e.at),
                time(e.recorded_at),
                e.shipment_id.unwrap_or_default(),
                e.batch_id.unwrap_or_default(),
                e.reason.unwrap_or_default(),
            ])?;
            n += 1;
        }
        progress(n);
    }
}
