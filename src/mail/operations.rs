//! Alerts about operations: shipments not received in time, wash batches with many rejects.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::alerts::{clear, raise, About};
use super::outbox::Audience;
use super::{texts, Kind};
use crate::config::Config;
use crate::db::catalog::find_site;
use crate::db::models::WashBatch;
use crate::db::schema::{alerts, containers, shipment_loads, shipments};
use crate::db::DbConnection;
use crate::domain::state::Place;

/// Checks a completed wash batch's share of rejects. Each batch is told of once.
pub fn check_batch(
    conn: &mut DbConnection,
    config: &Config,
    batch: &WashBatch,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let total = batch.washed + batch.rejected;
    let Some(finished_at) = batch.finished_at else {
        return Ok(());
    };
    if total == 0 || (batch.rejected as f64) <= config.mail.reject_share * total as f64 {
        return Ok(());
    }
    let washer = find_site(conn, &batch.site_id)?.map_or_else(|| batch.site_id.clone(), |s| s.name);
    let why = texts::Rejects {
        washer: &washer,
        finished_at,
        rejected: batch.rejected,
        total,
        threshold: config.mail.reject_share,
        batch_id: &batch.id,
    };
    let about = About {
        site_id: Some(batch.site_id.clone()),
        batch_id: Some(batch.id.clone()),
        ..About::default()
    };
    let render = |lang| texts::wash_rejects(lang, &why);
    raise(
        conn,
        config,
        now,
        Kind::WashRejects,
        &batch.id,
        about,
        &[Audience::Coordinators],
        &render,
    )?;
    // A batch's rejects happen once: the alert ends as it starts.
    clear(conn, now, Kind::WashRejects, &batch.id)
}

/// Shipments with containers still in transit after the overdue delay start an alert; those
/// with none left end theirs.
pub fn check_shipments(
    conn: &mut DbConnection,
    config: &Config,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let hours = config.mail.shipment_overdue_hours;
    let cutoff = now - chrono::Duration::seconds((hours * 3600.0) as i64);
    let late: Vec<(String, String, String, NaiveDateTime)> = shipments::table
        .filter(shipments::departed_at.lt(cutoff))
        .filter(diesel::dsl::exists(
            containers::table
                .filter(containers::shipment_id.eq(shipments::id.nullable()))
                .filter(containers::state.eq(Place::InTransit.as_str())),
        ))
        .select((
            shipments::id,
            shipments::from_site_id,
            shipments::to_site_id,
            shipments::departed_at,
        ))
        .load(conn)?;
    let in_force: Vec<String> = alerts::table
        .filter(alerts::kind.eq(Kind::ShipmentOverdue.as_str()))
        .filter(alerts::cleared_at.is_null())
        .select(alerts::subject)
        .load(conn)?;
    for id in in_force
        .iter()
        .filter(|id| !late.iter().any(|l| &l.0 == *id))
    {
        clear(conn, now, Kind::ShipmentOverdue, id)?;
    }
    for (id, from, to, departed_at) in late.into_iter().filter(|l| !in_force.contains(&l.0)) {
        let name = |conn: &mut DbConnection, s: &str| -> QueryResult<String> {
            Ok(find_site(conn, s)?.map_or_else(|| s.to_owned(), |s| s.name))
        };
        let (from_name, to_name) = (name(conn, &from)?, name(conn, &to)?);
        let on_board: Vec<i64> = shipment_loads::table
            .filter(shipment_loads::shipment_id.eq(&id))
            .select(shipment_loads::containers)
            .load(conn)?;
        let o = texts::Overdue {
            from: &from_name,
            to: &to_name,
            departed_at,
            hours,
            containers: on_board.iter().sum(),
            shipment_id: &id,
        };
        let about = About {
            site_id: Some(from.clone()),
            shipment_id: Some(id.clone()),
            ..About::default()
        };
        let render = |lang| texts::overdue(lang, &o);
        let audiences = [Audience::AtSites(vec![from.clone(), to.clone()])];
        raise(
            conn,
            config,
            now,
            Kind::ShipmentOverdue,
            &id,
            about,
            &audiences,
            &render,
        )?;
    }
    Ok(())
}
