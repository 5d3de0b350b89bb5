//! A container found by its code, and its recorded events as the rules see them: what
//! recording an event, commissioning and the checks read.

use anyhow::Context;
use diesel::prelude::*;

use super::models::{Container, Event};
use super::schema::{containers, events, sites};
use super::DbConnection;
use crate::domain::code::ShortCode;
use crate::domain::state::{Action, Ev, SiteKind};

/// Whether an event with this id is recorded (a scan, or a captured event, sent again).
pub fn event_recorded(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
    let n: i64 = events::table
        .filter(events::id.eq(id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The container with this short code. `lock` takes its row lock on PostgreSQL (the one
/// backend-specific query of this module: SQLite has a single writer already).
pub fn find_by_serial(
    conn: &mut DbConnection,
    code: &ShortCode,
    lock: bool,
) -> QueryResult<Option<Container>> {
    // `get_result`, not `first`: a `LIMIT ?` makes SQLite plan the statement again at every
    // execution (its planner reads the bound limit), which doubled the cost of this lookup.
    // Every lookup by a unique key or of an aggregate is written this way.
    // Serials are below 2^35, so they fit.
    let serial = code.serial() as i64;
    let of_serial = containers::serial.eq(serial);
    if lock {
        if let DbConnection::Postgres(pg) = conn {
            let query = containers::table
                .filter(of_serial)
                .select(Container::as_select());
            return query.for_update().get_result(pg).optional();
        }
    }
    crate::each_backend!(conn, c => containers::table
        .filter(of_serial)
        .select(Container::as_select())
        .get_result(c)
        .optional())
}

/// A container's recorded events in timeline order, as the rules see them.
pub fn load_timeline(conn: &mut DbConnection, container_id: &str) -> anyhow::Result<Vec<Ev>> {
    Ok(load_recorded(conn, container_id)?
        .into_iter()
        .map(|(_, ev)| ev)
        .collect())
}

/// A container's recorded events in timeline order, each with its form for the rules.
pub fn load_recorded(
    conn: &mut DbConnection,
    container_id: &str,
) -> anyhow::Result<Vec<(Event, Ev)>> {
    // Every event of the container, undos too, left out here rather than by `live_events!`:
    // an undo is an event of the container it corrects, and a statement with that filter's
    // hand-written SQL is prepared anew at each execution (a sixth of an undo's time).
    let rows: Vec<(Event, Option<String>, String)> = events::table
        .inner_join(sites::table.on(sites::id.eq(events::site_id)))
        .filter(events::container_id.eq(container_id))
        .order((events::at, events::seq))
        .select((Event::as_select(), events::undoes, sites::kind))
        .load(conn)?;
    let undone: std::collections::HashSet<String> = rows
        .iter()
        .filter_map(|(_, undoes, _)| undoes.clone())
        .collect();
    rows.into_iter()
        .filter(|(e, _, _)| e.action != Action::Undo.as_str() && !undone.contains(&e.id))
        .map(|(e, _, kind)| {
            let ev = to_ev(&e, &kind)?;
            Ok((e, ev))
        })
        .collect()
}

pub fn to_ev(e: &Event, kind: &str) -> anyhow::Result<Ev> {
    Ok(Ev {
        action: Action::parse(&e.action)
            .with_context(|| format!("event {} has an unknown action {:?}", e.id, e.action))?,
        site_id: e.site_id.clone(),
        site_kind: SiteKind::parse(kind)
            .with_context(|| format!("site {} has an unknown kind {kind:?}", e.site_id))?,
        to_site_id: e.to_site_id.clone(),
        at: e.at,
        inferred: false,
        shipment_id: e.shipment_id.clone(),
        batch_id: e.batch_id.clone(),
        reason: e.reason.clone(),
    })
}
