//! What one new event changes: the container's state, what the figures remember of it, and
//! the figures' counters; computed, then written in the caller's transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::figures;
use super::models::Container;
use super::scans::load_timeline;
use super::schema::containers;
use super::DbConnection;
use crate::domain::figures::{record, Change};
use crate::domain::state::{Action, ContainerState, Ev, Refusal};

/// Works out what recording `ev` changes, or why it cannot be recorded; the container's
/// events are read only for a late event.
pub fn prepare(
    conn: &mut DbConnection,
    container: &Container,
    current: &ContainerState,
    ev: &Ev,
) -> anyhow::Result<Result<Change, Refusal>> {
    let memory = container.memory()?;
    record(&container.type_id, current, &memory, ev, || {
        load_timeline(conn, &container.id)
    })
}

/// Writes the change: the container row, the counters, and the shipment's load.
pub fn commit(
    conn: &mut DbConnection,
    container: &mut Container,
    change: &Change,
    ev: &Ev,
    now: NaiveDateTime,
) -> anyhow::Result<()> {
    let mut after = change.after.clone();
    after.last_event_at = after.last_event_at.max(container.last_event_at).max(ev.at);
    container.set_state(&after, now);
    container.set_memory(&change.memory);
    diesel::update(containers::table.find(&container.id))
        .set(&*container)
        .execute(conn)?;
    figures::add(conn, &change.delta)?;
    super::trips::apply(conn, &container.id, &container.type_id, &change.trips)?;
    if let (Action::Ship, Some(shipment)) = (ev.action, &ev.shipment_id) {
        figures::load(conn, shipment, &container.type_id)?;
    }
    Ok(())
}
