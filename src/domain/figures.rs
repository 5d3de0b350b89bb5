//! What each step of a container's life adds to the loop's figures (DESIGN section 4).
//!
//! Figures are sums over events, so they are kept as counters per day, site and container
//! type. A container's contributions are a function of its timeline; when the timeline
//! changes (a new scan, or a late one that moves an inferred step), the difference of the
//! contributions before and after is added to the counters. The same function recomputes
//! everything from the log, which is how the counters are checked.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime, Timelike};

use super::access::Reach;
use super::state::{
    apply, Action, Condition, ContainerState, Ev, Place, Refusal, RetiredReason, SiteKind,
};
use super::timeline::{timeline, Step};
use super::trips::{trip_events, trips_of, Trip, TripEvent};

/// Where a contribution is counted: the day (UTC) of the step, its site, the container type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub day: NaiveDate,
    pub site_id: String,
    pub type_id: String,
}

macro_rules! counters {
    ($($(#[$m:meta])* $field:ident),+ $(,)?) => {
        /// Additive counters of one day, site and type.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct Counters { $($(#[$m])* pub $field: i64),+ }

        impl Counters {
            pub const FIELDS: &'static [&'static str] = &[$(stringify!($field)),+];

            pub fn add(&mut self, other: &Counters) { $(self.$field += other.$field;)+ }
            pub fn sub(&mut self, other: &Counters) { $(self.$field -= other.$field;)+ }
            pub fn is_zero(&self) -> bool { true $(&& self.$field == 0)+ }
            pub fn values(&self) -> Vec<i64> { vec![$(self.$field),+] }
        }
    };
}

counters!(
    /// Fill events: uses.
    fills,
    /// Fills that were the container's first ever.
    first_fills,
    /// Fills that had an earlier fill of the same container.
    cycles,
    /// Sum of the time since that earlier fill, in milliseconds.
    cycle_ms,
    /// Return events, inferred ones included.
    returns,
    /// Receipts of a filled container at a shop (counted at the shop, on the receipt's day).
    trips,
    /// Of those trips, the ones followed by a return (counted on the trip's day and shop).
    trips_returned,
    /// Containers retired, for any reason, and of those broken and lost.
    retired,
    broken,
    lost,
    /// Containers out of a wash batch clean.
    washes,
    /// Containers commissioned.
    commissioned,
    /// Sums of the time of day (microseconds since 00:00 UTC) of commissionings and
    /// retirements, from which the fleet's days within a period are exact.
    commissioned_us,
    retired_us,
);

/// The counters of many keys.
pub type Contributions = BTreeMap<Key, Counters>;

/// What the figures need to know of a container's past beyond its state, so that a step
/// appended to its timeline can be counted without reading the timeline.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Memory {
    pub last_fill_at: Option<NaiveDateTime>,
    /// Trips (receipt time, shop) not yet followed by a return.
    pub open_trips: Vec<(NaiveDateTime, String)>,
}

impl Memory {
    /// The stored form of the open trips: `at|site` joined by `;`.
    pub fn open_trips_text(&self) -> String {
        self.open_trips
            .iter()
            .map(|(at, site)| format!("{}|{site}", at.format("%Y-%m-%dT%H:%M:%S%.6f")))
            .collect::<Vec<_>>()
            .join(";")
    }

    pub fn parse_open_trips(text: &str) -> Option<Vec<(NaiveDateTime, String)>> {
        if text.is_empty() {
            return Some(vec![]);
        }
        text.split(';')
            .map(|item| {
                let (at, site) = item.split_once('|')?;
                let at = NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
                Some((at, site.to_owned()))
            })
            .collect()
    }
}

fn slot<'a>(
    out: &'a mut Contributions,
    type_id: &str,
    t: NaiveDateTime,
    site: &str,
) -> &'a mut Counters {
    out.entry(Key {
        day: t.date(),
        site_id: site.to_owned(),
        type_id: type_id.to_owned(),
    })
    .or_default()
}

pub fn micros_of_day(t: NaiveDateTime) -> i64 {
    i64::from(t.num_seconds_from_midnight()) * 1_000_000 + i64::from(t.nanosecond() / 1_000)
}

/// Adds what `step` contributes, for a container of type `type_id` going from `before` to
/// `after`, and updates `memory`.
pub fn contribute(
    type_id: &str,
    before: Option<&ContainerState>,
    after: &ContainerState,
    step: &Ev,
    memory: &mut Memory,
    out: &mut Contributions,
) {
    let Some(before) = before else {
        let c = slot(out, type_id, step.at, &step.site_id);
        c.commissioned += 1;
        c.commissioned_us += micros_of_day(step.at);
        return;
    };
    match step.action {
        Action::Fill => {
            let c = slot(out, type_id, step.at, &step.site_id);
            c.fills += 1;
            if before.uses == 0 {
                c.first_fills += 1;
            }
            if let Some(last) = memory.last_fill_at {
                c.cycles += 1;
                c.cycle_ms += (step.at - last).num_milliseconds();
            }
            memory.last_fill_at = Some(step.at);
        }
        Action::Return => {
            slot(out, type_id, step.at, &step.site_id).returns += 1;
            for (trip_at, shop) in std::mem::take(&mut memory.open_trips) {
                slot(out, type_id, trip_at, &shop).trips_returned += 1;
            }
        }
        Action::Receive
            if step.site_kind == SiteKind::Shop && before.condition == Condition::Filled =>
        {
            slot(out, type_id, step.at, &step.site_id).trips += 1;
            memory.open_trips.push((step.at, step.site_id.clone()));
        }
        Action::Wash if before.state == Place::Washing && after.state == Place::AtSite => {
            slot(out, type_id, step.at, &step.site_id).washes += 1;
        }
        _ => {}
    }
    if before.state != Place::Retired && after.state == Place::Retired {
        let c = slot(out, type_id, step.at, &step.site_id);
        c.retired += 1;
        c.retired_us += micros_of_day(step.at);
        match after.retired_reason {
            Some(RetiredReason::Broken) => c.broken += 1,
            Some(RetiredReason::Lost) => c.lost += 1,
            _ => {}
        }
    }
}

/// Everything a container's recorded events contribute, and its memory at the end.
pub fn contributions(type_id: &str, recorded: &[Ev]) -> (Contributions, Memory) {
    let mut out = Contributions::new();
    let mut memory = Memory::default();
    if let Some((_, steps)) = timeline(recorded) {
        add_steps(
            type_id,
            None,
            steps.iter().map(|s: &Step| &s.ev),
            &mut memory,
            &mut out,
        );
    }
    (out, memory)
}

/// Folds `steps` from `start` (none before the commissioning), counting each.
pub fn add_steps<'a>(
    type_id: &str,
    start: Option<&ContainerState>,
    steps: impl IntoIterator<Item = &'a Ev>,
    memory: &mut Memory,
    out: &mut Contributions,
) -> Option<ContainerState> {
    let mut state = start.cloned();
    for step in steps {
        let after = match &state {
            Some(s) => apply(s, step),
            None => super::state::commissioned(step),
        };
        contribute(type_id, state.as_ref(), &after, step, memory, out);
        state = Some(after);
    }
    state
}

/// What recording one event changes, as [`record`] works it out.
#[derive(Debug, Clone)]
pub struct Change {
    /// The steps the event makes: inferred ones, then itself.
    pub steps: Vec<Ev>,
    pub after: ContainerState,
    pub memory: Memory,
    pub delta: Contributions,
    pub trips: TripsUpdate,
}

/// How a change alters the container's trips.
#[derive(Debug, Clone, PartialEq)]
pub enum TripsUpdate {
    /// Trips opened or returned by the appended steps.
    Append(Vec<TripEvent>),
    /// The whole list, after a late event.
    Replace(Vec<Trip>),
}

/// Works out what recording `ev` changes for a container of type `type_id` whose state and
/// memory are `current` and `memory`. An event after everything known is counted from those
/// alone; a late one needs the container's recorded events (`recorded`, read by the caller
/// only then), among which it is put in its place before everything is counted again.
pub fn record<E>(
    type_id: &str,
    current: &ContainerState,
    memory: &Memory,
    ev: &Ev,
    reach: &Reach,
    recorded: impl FnOnce() -> Result<Vec<Ev>, E>,
) -> Result<Result<Change, Refusal>, E> {
    if ev.at >= current.last_event_at {
        let steps = match super::timeline::plan_for(current, ev, reach) {
            Ok(steps) => steps,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let mut memory = memory.clone();
        let mut delta = Contributions::new();
        let after = add_steps(type_id, Some(current), &steps, &mut memory, &mut delta)
            .unwrap_or_else(|| current.clone());
        let trips = TripsUpdate::Append(trip_events(Some(current), &steps));
        return Ok(Ok(Change {
            steps,
            after,
            memory,
            delta,
            trips,
        }));
    }
    let mut events = recorded()?;
    let steps = match super::timeline::insert(&events, ev, reach) {
        Ok(steps) => steps,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let (before, _) = contributions(type_id, &events);
    let pos = events.partition_point(|e| e.at <= ev.at);
    events.insert(pos, ev.clone());
    let (now_counted, memory) = contributions(type_id, &events);
    let after = super::timeline::fold(&events).unwrap_or_else(|| current.clone());
    let trips = TripsUpdate::Replace(trips_of(&events));
    Ok(Ok(Change {
        steps,
        after,
        memory,
        delta: difference(&before, &now_counted),
        trips,
    }))
}

/// What undoing the recorded event at `index` of `events` (in timeline order) changes: the
/// timeline without it, counted again. None when it is the commissioning, which is never
/// undone.
pub fn void(type_id: &str, events: &[Ev], index: usize) -> Option<Change> {
    if index == 0 || index >= events.len() {
        return None;
    }
    let (before, _) = contributions(type_id, events);
    let mut rest = events.to_vec();
    rest.remove(index);
    let (now_counted, memory) = contributions(type_id, &rest);
    Some(Change {
        steps: vec![],
        after: super::timeline::fold(&rest)?,
        memory,
        delta: difference(&before, &now_counted),
        trips: TripsUpdate::Replace(trips_of(&rest)),
    })
}

/// `after - before`, key by key, leaving out keys that do not change.
pub fn difference(before: &Contributions, after: &Contributions) -> Contributions {
    let mut diff = after.clone();
    for (key, c) in before {
        diff.entry(key.clone()).or_default().sub(c);
    }
    diff.retain(|_, c| !c.is_zero());
    diff
}

#[cfg(test)]
#[path = "figures_tests.rs"]
mod tests;
