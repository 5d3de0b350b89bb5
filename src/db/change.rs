//! What one new event changes: the container's state, what the figures remember of it, and
//! the figures' counters; computed, then written in the caller's transaction.

use chrono::NaiveDateTime;

use super::figures::Pending;
use super::models::Container;
use super::prepared;
use super::scans::load_timeline;
use super::DbConnection;
use crate::domain::access::Reach;
use crate::domain::figures::{record, Change};
use crate::domain::state::{Action, ContainerState, Ev, Refusal};

/// Works out what recording `ev` changes, or why it cannot be recorded; the container's
/// events are read only for a late event.
pub fn prepare(
    conn: &mut DbConnection,
    container: &Container,
    current: &ContainerState,
    ev: &Ev,
    reach: &Reach,
) -> anyhow::Result<Result<Change, Refusal>> {
    let memory = container.memory()?;
    record(&container.type_id, current, &memory, ev, reach, || {
        load_timeline(conn, &container.id)
    })
}

/// Writes the change: the container row and its trips; the counters and the shipment's
/// load are summed in `pending`, written before the transaction ends.
pub fn commit(
    conn: &mut DbConnection,
    container: &mut Container,
    change: &Change,
    ev: &Ev,
    now: NaiveDateTime,
    pending: &mut Pending,
) -> anyhow::Result<()> {
    let mut after = change.after.clone();
    after.last_event_at = after.last_event_at.max(container.last_event_at).max(ev.at);
    container.set_state(&after, now);
    container.set_memory(&change.memory);
    prepared::update_container(container).run(conn)?;
    pending.add(&change.delta);
    super::trips::apply(conn, &container.id, &container.type_id, &change.trips)?;
    if let (Action::Ship, Some(shipment)) = (ev.action, &ev.shipment_id) {
        pending.load(shipment, &container.type_id);
    }
    Ok(())
}
