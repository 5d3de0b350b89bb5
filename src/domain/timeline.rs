//! A container's state as the fold of its events in time order, and where a new event,
//! possibly late, fits in that timeline.
//!
//! Only what devices and people reported is stored. The steps that the physical world makes
//! certain (rule 3: a container shipped from a shop while thought to be with a consumer was
//! returned there) are inferred again on every fold, so that an offline scan arriving late
//! replaces an inference instead of contradicting it, and any arrival order of the same
//! scans gives the same timeline.

use super::access::{authorise, Reach};
use super::state::{apply, check, commissioned, Action, ContainerState, Ev, Place, Refusal};

/// One step of a container's life: a recorded event, or an inferred one placed just before
/// the recorded event at index `trigger` that it explains.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub ev: Ev,
    pub trigger: usize,
}

/// The whole timeline, recorded and inferred steps, from recorded events already in order
/// (by `at`, ties by recording order). The first event must be the commissioning.
pub fn timeline(events: &[Ev]) -> Option<(ContainerState, Vec<Step>)> {
    let first = events.first()?;
    let mut state = commissioned(first);
    let mut steps = vec![Step {
        ev: first.clone(),
        trigger: 0,
    }];
    for (trigger, ev) in events.iter().enumerate().skip(1) {
        // A recorded event that no longer fits (recorded under other rules) still applies.
        let planned = plan(&state, ev).unwrap_or_else(|_| vec![ev.clone()]);
        for step in planned {
            state = apply(&state, &step);
            steps.push(Step { ev: step, trigger });
        }
    }
    Some((state, steps))
}

/// The state after recorded events already in timeline order.
pub fn fold(events: &[Ev]) -> Option<ContainerState> {
    let first = events.first()?;
    let mut state = commissioned(first);
    for ev in &events[1..] {
        match plan(&state, ev) {
            Ok(planned) => {
                for step in &planned {
                    state = apply(&state, step);
                }
            }
            Err(_) => state = apply(&state, ev),
        }
    }
    Some(state)
}

/// The steps that `ev` makes on a container in state `s`: the certain steps it implies
/// (flagged `inferred`), then `ev` itself; or why it cannot happen.
pub fn plan(s: &ContainerState, ev: &Ev) -> Result<Vec<Ev>, Refusal> {
    plan_for(s, ev, &Reach::Loop)
}

/// [`plan`] for a writer of `reach`, who must also be allowed the event where it falls.
pub fn plan_for(s: &ContainerState, ev: &Ev, reach: &Reach) -> Result<Vec<Ev>, Refusal> {
    let mut state = s.clone();
    let mut out = Vec::with_capacity(2);
    let mut infer = |state: &mut ContainerState, action: Action| {
        let mut step = ev.clone();
        step.action = action;
        step.inferred = true;
        step.to_site_id = None;
        step.batch_id = None;
        step.reason = None;
        step.shipment_id = state.shipment_id.clone();
        *state = apply(state, &step);
        out.push(step);
    };
    // Scanned at the destination of its shipment: it has obviously arrived.
    if state.state == Place::InTransit
        && state.dest_site_id.as_deref() == Some(ev.site_id.as_str())
        && ev.action != Action::Receive
    {
        infer(&mut state, Action::Receive);
    }
    // Shipped from a site while thought to be with a consumer: it was returned there.
    if state.state == Place::WithConsumer && ev.action == Action::Ship {
        infer(&mut state, Action::Return);
    }
    check(&state, ev)?;
    authorise(reach, &state, ev)?;
    out.push(ev.clone());
    Ok(out)
}

/// Where `ev` goes among the recorded events `recorded` (in timeline order): after every
/// event with the same or an earlier `at`. Returns the steps it makes (inferred ones first),
/// or why it cannot be recorded. A late event must fit the state at its place; the one late
/// event refused for what follows it is a retirement, which would silently undo later uses.
pub fn insert(recorded: &[Ev], ev: &Ev, reach: &Reach) -> Result<Vec<Ev>, Refusal> {
    let pos = recorded.partition_point(|e| e.at <= ev.at);
    let Some(before) = fold(&recorded[..pos]) else {
        let commissioned_at = recorded.first().map_or(ev.at, |e| e.at);
        return Err(Refusal::BeforeCommissioning { commissioned_at });
    };
    let planned = plan_for(&before, ev, reach)?;
    if let Some(later) = recorded.get(pos) {
        let after = planned.iter().fold(before, |s, step| apply(&s, step));
        if after.state == Place::Retired {
            return Err(Refusal::ConflictsWithLater {
                action: later.action,
                at: later.at,
            });
        }
    }
    Ok(planned)
}

#[cfg(test)]
#[path = "timeline_tests.rs"]
pub(crate) mod tests;
