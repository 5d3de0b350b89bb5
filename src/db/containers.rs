//! Commissioning containers, finding them by code, and their timelines.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::{Container, Event, NewEvent};
use super::scans::{find_by_serial, load_recorded};
use super::schema::{containers, events};
use super::{figures, DbConnection};
use crate::domain::code::{ShortCode, SERIAL_LIMIT};
use crate::domain::figures::{micros_of_day, Counters, Key};
use crate::domain::state::{Action, Condition, Place};
use crate::domain::timeline::timeline;

pub struct Commission<'a> {
    pub type_id: &'a str,
    pub site_id: &'a str,
    pub count: usize,
    pub at: NaiveDateTime,
    pub user_id: Option<&'a str>,
    pub prefix: &'a str,
    pub now: NaiveDateTime,
}

/// Rows per INSERT statement, under SQLite's limit on bound parameters.
const CHUNK: usize = 1_000;

/// New serials are drawn among those not taken: on PostgreSQL, where several instances may
/// commission at once, commissioning takes this transaction lock first (SQLite has one writer
/// already).
fn lock_serials(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(82731001)").execute(pg)?;
    }
    Ok(())
}

/// Commissions `count` new containers, clean at the site, with serials drawn at random.
pub fn commission(conn: &mut DbConnection, c: &Commission) -> anyhow::Result<Vec<Container>> {
    lock_serials(conn)?;
    let items: Vec<(i64, String)> = free_serials(conn, c.count)?
        .into_iter()
        .map(|serial| (serial, uuid::Uuid::now_v7().to_string()))
        .collect();
    insert_commissioned(conn, c, &items)
}

/// `count` serials no container has, drawn uniformly from the whole span of the codes by a
/// cryptographically secure generator: a code, or many, tells nothing of the loop's other
/// codes. Serials used to follow each other, scrambled by constants anyone can read in the
/// source, so that one label gave away the whole fleet's; those codes stay valid.
fn free_serials(conn: &mut DbConnection, count: usize) -> anyhow::Result<Vec<i64>> {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    let span = 1..i64::try_from(SERIAL_LIMIT)?;
    let mut chosen: Vec<i64> = Vec::with_capacity(count);
    let mut seen = std::collections::HashSet::with_capacity(count);
    // A fleet holds a tiny share of the 34 billion serials: a draw taken already is rare,
    // and drawn again.
    for _ in 0..8 {
        while chosen.len() < count {
            let serial = rng.gen_range(span.clone());
            if seen.insert(serial) {
                chosen.push(serial);
            }
        }
        let mut taken = std::collections::HashSet::new();
        for chunk in chosen.chunks(CHUNK) {
            let found: Vec<i64> = containers::table
                .filter(containers::serial.eq_any(chunk))
                .select(containers::serial)
                .load(conn)?;
            taken.extend(found);
        }
        if taken.is_empty() {
            return Ok(chosen);
        }
        chosen.retain(|s| !taken.contains(s));
    }
    anyhow::bail!("no free serials found for {count} more containers")
}

/// Commissions the container of a code already printed (one captured from another system),
/// its commissioning recorded under `event_id`.
pub fn commission_code(
    conn: &mut DbConnection,
    c: &Commission,
    code: &ShortCode,
    event_id: &str,
) -> anyhow::Result<Container> {
    lock_serials(conn)?;
    let serial = i64::try_from(code.serial())?;
    let made = insert_commissioned(conn, c, &[(serial, event_id.to_owned())])?;
    made.into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no container made for {}", code.display(c.prefix)))
}

/// Inserts the containers of `items` (serial, commissioning event id) with their events and
/// counters.
fn insert_commissioned(
    conn: &mut DbConnection,
    c: &Commission,
    items: &[(i64, String)],
) -> anyhow::Result<Vec<Container>> {
    let made: Vec<Container> = items
        .iter()
        .map(|(serial, _)| Container {
            id: uuid::Uuid::now_v7().to_string(),
            serial: *serial,
            code: ShortCode::from_serial(*serial as u64).display(c.prefix),
            type_id: c.type_id.to_owned(),
            state: Place::AtSite.as_str().to_owned(),
            condition: Condition::Clean.as_str().to_owned(),
            site_id: c.site_id.to_owned(),
            shipment_id: None,
            dest_site_id: None,
            batch_id: None,
            uses: 0,
            retired_reason: None,
            last_event_at: c.at,
            created_at: c.now,
            updated_at: c.now,
            last_fill_at: None,
            open_trips: String::new(),
        })
        .collect();
    for (chunk, ids) in made.chunks(CHUNK).zip(items.chunks(CHUNK)) {
        crate::each_backend!(&mut *conn, c => diesel::insert_into(containers::table).values(chunk).execute(c))?;
        let evs: Vec<NewEvent> = chunk
            .iter()
            .zip(ids)
            .map(|(k, (_, event_id))| NewEvent {
                id: event_id.clone(),
                container_id: k.id.clone(),
                action: Action::Commission.as_str().to_owned(),
                site_id: c.site_id.to_owned(),
                to_site_id: None,
                at: c.at,
                recorded_at: c.now,
                user_id: c.user_id.map(str::to_owned),
                shipment_id: None,
                batch_id: None,
                reason: None,
            })
            .collect();
        crate::each_backend!(&mut *conn, c => diesel::insert_into(events::table).values(&evs).execute(c))?;
        let key = Key {
            day: c.at.date(),
            site_id: c.site_id.to_owned(),
            type_id: c.type_id.to_owned(),
        };
        let n = chunk.len() as i64;
        let counted = Counters {
            commissioned: n,
            commissioned_us: n * micros_of_day(c.at),
            ..Counters::default()
        };
        figures::add(conn, &[(key, counted)].into_iter().collect())?;
    }
    Ok(made)
}

pub fn find_by_code(conn: &mut DbConnection, code: &ShortCode) -> QueryResult<Option<Container>> {
    find_by_serial(conn, code, false)
}

/// One step of a container's timeline as shown: recorded, or inferred with a stable id.
pub struct TimelineEntry {
    pub event: Event,
    pub inferred: bool,
}

/// The container's timeline, recorded events and the steps inferred between them, ordered
/// by `at`, ties by recording order. Inferred steps get an id derived from the event they
/// explain, so it stays the same from one reading to the next.
pub fn timeline_of(
    conn: &mut DbConnection,
    container_id: &str,
) -> anyhow::Result<Vec<TimelineEntry>> {
    let rows = load_recorded(conn, container_id)?;
    let evs: Vec<_> = rows.iter().map(|(_, ev)| ev.clone()).collect();
    let Some((_, steps)) = timeline(&evs) else {
        return Ok(vec![]);
    };
    Ok(steps
        .into_iter()
        .map(|step| {
            let trigger = &rows[step.trigger].0;
            if !step.ev.inferred {
                return TimelineEntry {
                    event: trigger.clone(),
                    inferred: false,
                };
            }
            let name = format!("{}:{}", trigger.id, step.ev.action);
            let id = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, name.as_bytes()).to_string();
            let event = Event {
                id: id.clone(),
                action: step.ev.action.as_str().to_owned(),
                site_id: step.ev.site_id,
                to_site_id: None,
                shipment_id: step.ev.shipment_id,
                batch_id: None,
                reason: None,
                ..trigger.clone()
            };
            TimelineEntry {
                event,
                inferred: true,
            }
        })
        .collect())
}
