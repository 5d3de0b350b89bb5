//! What one new event changes: the container's state, what the figures remember of it, and
//! the figures' counters; computed, then written in the caller's transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::figures;
use super::models::Container;
use super::scans::load_timeline;
use super::schema::containers;
use super::DbConnection;
use crate::domain::figures::{add_steps, contributions, difference, Contributions, Memory};
use crate::domain::state::{Action, ContainerState, Ev, Refusal};
use crate::domain::timeline::{fold, insert, plan};

pub struct Change {
    /// The steps the event makes: inferred ones, then itself.
    pub steps: Vec<Ev>,
    pub after: ContainerState,
    pub memory: Memory,
    pub delta: Contributions,
}

/// Works out what recording `ev` changes, or why it cannot be recorded. An event after
/// everything known of the container is checked against its row alone; an earlier one
/// (a late scan) is put in its place in the timeline, which is folded and counted again.
pub fn prepare(
    conn: &mut DbConnection,
    container: &Container,
    current: &ContainerState,
    ev: &Ev,
) -> anyhow::Result<Result<Change, Refusal>> {
    if ev.at >= container.last_event_at {
        let steps = match plan(current, ev) {
            Ok(steps) => steps,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let mut memory = container.memory()?;
        let mut delta = Contributions::new();
        let after = add_steps(
            &container.type_id,
            Some(current),
            &steps,
            &mut memory,
            &mut delta,
        )
        .unwrap_or_else(|| current.clone());
        return Ok(Ok(Change {
            steps,
            after,
            memory,
            delta,
        }));
    }
    let mut recorded = load_timeline(conn, &container.id)?;
    let steps = match insert(&recorded, ev) {
        Ok(steps) => steps,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let (before, _) = contributions(&container.type_id, &recorded);
    let pos = recorded.partition_point(|e| e.at <= ev.at);
    recorded.insert(pos, ev.clone());
    let (now_counted, memory) = contributions(&container.type_id, &recorded);
    let after = fold(&recorded).unwrap_or_else(|| current.clone());
    Ok(Ok(Change {
        steps,
        after,
        memory,
        delta: difference(&before, &now_counted),
    }))
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
    if let (Action::Ship, Some(shipment)) = (ev.action, &ev.shipment_id) {
        figures::load(conn, shipment, &container.type_id)?;
    }
    Ok(())
}
