//! Recomputing the figures' counters from the event log, to check (or repair) the stored ones.

use std::collections::BTreeMap;

use diesel::prelude::*;

use super::figures::add;
use super::models::Event;
use super::scans::to_ev;
use super::schema::{containers, daily_figures, events, shipment_loads, sites};
use super::sums::{stored, stored_loads};
use super::DbConnection;
use crate::domain::figures::{contributions, difference, Contributions, TripsUpdate};
use crate::domain::state::Action;
use crate::domain::trips::{trips_of, Trip};

/// Containers read at once while recomputing.
const PAGE: i64 = 2_000;

/// The counters and loads as the log says they should be.
pub struct Recomputed {
    pub counters: Contributions,
    pub loads: BTreeMap<(String, String), i64>,
    /// (container, type, trip) in container order.
    pub trips: Vec<(String, String, Trip)>,
    pub containers: usize,
    pub events: usize,
    /// Containers whose stored state is not the fold of their events, one line each.
    pub states: Vec<String>,
}

/// A container's stored place, condition, site, shipment and batch.
type Stored = (String, String, String, Option<String>, Option<String>);

/// How a stored state differs from the fold of the container's events, if it does.
fn state_difference(id: &str, stored: &Stored, evs: &[crate::domain::state::Ev]) -> Option<String> {
    let folded = crate::domain::timeline::fold(evs)?;
    let from_log: Stored = (
        folded.state.as_str().to_owned(),
        folded.condition.as_str().to_owned(),
        folded.site_id,
        folded.shipment_id,
        folded.batch_id,
    );
    (&from_log != stored).then(|| {
        format!("container {id}: stored (place, condition, site, shipment, batch) {stored:?}, its events give {from_log:?}")
    })
}

pub fn recompute(
    conn: &mut DbConnection,
    mut progress: impl FnMut(usize),
) -> anyhow::Result<Recomputed> {
    let mut counters = Contributions::new();
    let mut loads: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut trips = Vec::new();
    let mut after = String::new();
    let mut states = Vec::new();
    let (mut n_containers, mut n_events) = (0, 0);
    loop {
        let page: Vec<(String, String, Stored)> = containers::table
            .filter(containers::id.gt(&after))
            .order(containers::id)
            .limit(PAGE)
            .select((
                containers::id,
                containers::type_id,
                (
                    containers::state,
                    containers::condition,
                    containers::site_id,
                    containers::shipment_id,
                    containers::batch_id,
                ),
            ))
            .load(conn)?;
        let Some((last, _, _)) = page.last() else {
            break;
        };
        after = last.clone();
        let ids: Vec<&String> = page.iter().map(|(id, _, _)| id).collect();
        let rows: Vec<(Event, String)> = events::table
            .inner_join(sites::table.on(sites::id.eq(events::site_id)))
            .filter(events::container_id.eq_any(&ids))
            .filter(crate::live_events!())
            .order((events::container_id, events::at, events::seq))
            .select((Event::as_select(), sites::kind))
            .load(conn)?;
        n_events += rows.len();
        let mut rows = rows.into_iter().peekable();
        for (id, type_id, stored) in &page {
            let mut evs = Vec::new();
            while let Some((e, kind)) = rows.next_if(|(e, _)| &e.container_id == id) {
                if let (Some(Action::Ship), Some(s)) = (Action::parse(&e.action), &e.shipment_id) {
                    *loads.entry((s.clone(), type_id.clone())).or_default() += 1;
                }
                evs.push(to_ev(&e, &kind)?);
            }
            states.extend(state_difference(id, stored, &evs));
            for t in trips_of(&evs) {
                trips.push((id.clone(), type_id.clone(), t));
            }
            for (key, c) in contributions(type_id, &evs).0 {
                counters.entry(key).or_default().add(&c);
            }
        }
        n_containers += page.len();
        progress(n_containers);
    }
    counters.retain(|_, c| !c.is_zero());
    Ok(Recomputed {
        counters,
        loads,
        trips,
        containers: n_containers,
        events: n_events,
        states,
    })
}

/// The differences between the stored counters and the log, one line each (none when they
/// agree).
pub fn differences(conn: &mut DbConnection, fresh: &Recomputed) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    let kept = stored(conn)?;
    for (key, c) in difference(&kept, &fresh.counters) {
        out.push(format!(
            "{} site {} type {}: the log gives {:?} more than stored",
            key.day, key.site_id, key.type_id, c
        ));
    }
    let kept_loads: BTreeMap<(String, String), i64> = stored_loads(conn)?
        .into_iter()
        .map(|(s, t, n)| ((s, t), n))
        .collect();
    for (key, n) in &fresh.loads {
        if kept_loads.get(key) != Some(n) {
            out.push(format!(
                "shipment {} type {}: {n} containers on board in the log, {:?} stored",
                key.0,
                key.1,
                kept_loads.get(key)
            ));
        }
    }
    for (key, n) in &kept_loads {
        if !fresh.loads.contains_key(key) {
            out.push(format!(
                "shipment {} type {}: {n} containers stored, none in the log",
                key.0, key.1
            ));
        }
    }
    let kept_trips = super::trips::all(conn)?;
    let fresh_trips: Vec<super::trips::StoredTrip> = fresh
        .trips
        .iter()
        .map(|(c, _, t)| (c.clone(), t.shop_id.clone(), t.received_at, t.returned_at))
        .collect();
    for t in fresh_trips.iter().filter(|t| !kept_trips.contains(t)) {
        out.push(format!(
            "container {}: trip from {} at shop {} (returned {:?}) is in the log but not stored",
            t.0, t.2, t.1, t.3
        ));
    }
    for t in kept_trips.iter().filter(|t| !fresh_trips.contains(t)) {
        out.push(format!(
            "container {}: trip from {} at shop {} (returned {:?}) is stored but not in the log",
            t.0, t.2, t.1, t.3
        ));
    }
    out.extend(super::holdings::differences(conn)?);
    out.extend(fresh.states.iter().cloned());
    Ok(out)
}

/// Replaces the stored counters, loads, trips and holdings with the recomputed ones.
pub fn repair(conn: &mut DbConnection, fresh: &Recomputed) -> anyhow::Result<()> {
    diesel::delete(daily_figures::table).execute(conn)?;
    super::deltas::forget_figures(conn)?;
    diesel::delete(shipment_loads::table).execute(conn)?;
    add(conn, &fresh.counters)?;
    for ((shipment, type_id), n) in &fresh.loads {
        diesel::insert_into(shipment_loads::table)
            .values((
                shipment_loads::shipment_id.eq(shipment),
                shipment_loads::type_id.eq(type_id),
                shipment_loads::containers.eq(n),
            ))
            .execute(conn)?;
    }
    super::holdings::rebuild(conn)?;
    super::trips::delete_all(conn)?;
    let mut by_container: BTreeMap<(String, String), Vec<Trip>> = BTreeMap::new();
    for (c, t, trip) in &fresh.trips {
        by_container
            .entry((c.clone(), t.clone()))
            .or_default()
            .push(trip.clone());
    }
    for ((c, t), list) in by_container {
        super::trips::apply(conn, &c, &t, &TripsUpdate::Replace(list))?;
    }
    Ok(())
}
