//! Capturing an EPCIS document: each ObjectEvent recorded as scans through the same
//! [`Recorder`] as every other write, idempotently by event id. Shipments and wash batches an
//! event names by Boucle's id are made on their first event.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::epcis_read::Incoming;
use crate::db::catalog::find_type;
use crate::db::containers::{commission_code, Commission};
use crate::db::requests::nothing_recorded;
use crate::db::scans::find_by_serial;
use crate::db::scans::{EventRequest, Outcome, Recorder, Rejection, Status};
use crate::db::schema::container_types;
use crate::db::schema::{shipments, wash_batches};
use crate::db::shipments::{self as shipping, NewShipment};
use crate::db::{wash, DbConnection};
use crate::domain::access::Reach;
use crate::domain::code::parse_any;
use crate::domain::state::{Action, WASH_FINISHED, WASH_STARTED};
use crate::domain::time::too_far_ahead;

/// What became of one captured event.
pub struct Captured {
    pub event_id: String,
    /// One per container of the event.
    pub outcomes: Vec<Outcome>,
    /// Why the event as a whole was refused (nothing then is recorded of it).
    pub error: Option<Rejection>,
}

impl Captured {
    pub fn refused(event_id: String, why: Rejection) -> Captured {
        Captured {
            event_id,
            outcomes: vec![],
            error: Some(why),
        }
    }
}

/// Records `e`, which happened at `at`. `detour_factor` prices a shipment's distance when
/// the event makes one.
pub fn capture(
    conn: &mut DbConnection,
    rec: &mut Recorder,
    e: &Incoming,
    at: NaiveDateTime,
    detour_factor: f64,
) -> anyhow::Result<Captured> {
    let refuse = |code, message: String| {
        Ok(Captured::refused(
            e.event_id.clone(),
            Rejection::new(code, message),
        ))
    };
    if !rec.reach.covers(&e.site_id) {
        return refuse(
            "forbidden_site",
            format!(
                "{}: your account records only at its own site, not at site {}",
                e.event_id, e.site_id
            ),
        );
    }
    let may_commission = rec.reach == Reach::Loop;
    let mut shipment_id = e.shipment_id.clone();
    let mut batch_id = e.batch_id.clone();
    // A shipment or batch this event makes, removed again if none of its containers can be
    // recorded (rule 5).
    let mut made = Made::Nothing;
    match e.action {
        Action::Commission => {
            let mut outcomes = Vec::with_capacity(e.epcs.len());
            for (i, epc) in e.epcs.iter().enumerate() {
                outcomes.push(commission(conn, rec, e, i, epc, at, may_commission)?);
            }
            return Ok(Captured {
                event_id: e.event_id.clone(),
                outcomes,
                error: None,
            });
        }
        Action::Ship => {
            let Some(to) = &e.to_site_id else {
                return refuse("invalid_event", format!(
                    "{}: a shipping event names where it goes in destinationList (type location)", e.event_id
                ));
            };
            // Without Boucle's id, the shipment takes one made from the event's, so that
            // capturing the event again finds it.
            let id = shipment_id.clone().unwrap_or_else(|| {
                uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, e.event_id.as_bytes()).to_string()
            });
            // Made on the first event; a later one joins it only from the same origin to the
            // same destination, as the writer of that origin (`shipments::open` checks both).
            let asked = NewShipment {
                id: Some(id.clone()),
                from_site_id: e.site_id.clone(),
                to_site_id: to.clone(),
                codes: vec![],
                departed_at: at,
                distance_km: e.distance_km,
                vehicle: e.vehicle.clone(),
                detour_factor,
            };
            match shipping::open(conn, rec, &asked)? {
                shipping::Opened::Refused(why) => {
                    return Ok(Captured::refused(e.event_id.clone(), why))
                }
                shipping::Opened::New(_) => made = Made::Shipment(id.clone()),
                shipping::Opened::Again(_) => {}
            }
            shipment_id = Some(id);
        }
        Action::Receive => {
            // A receipt names its shipment only if Boucle knows it.
            if let Some(id) = &shipment_id {
                if shipping::find(conn, id)?.is_none() {
                    shipment_id = None;
                }
            }
        }
        Action::Wash | Action::Reject => {
            let Some(id) = &batch_id else {
                return refuse("invalid_event", format!(
                    "{}: a washing or inspecting event names its wash batch in boucle:washBatch", e.event_id
                ));
            };
            // Opened by the first event; a later one joins it only at its washer, as its
            // writer (`wash::start` checks both), and puts nothing into a finished batch.
            let asked = wash::NewBatch {
                id: Some(id.clone()),
                site_id: e.site_id.clone(),
                codes: vec![],
                started_at: at,
                program: None,
                temperature_c: None,
            };
            match wash::start(conn, rec, &asked)? {
                wash::Started::Refused(why) => {
                    return Ok(Captured::refused(e.event_id.clone(), why))
                }
                wash::Started::New(_) => made = Made::Batch(id.clone()),
                wash::Started::Again(r)
                    if r.batch.finished_at.is_some()
                        && e.reason.as_deref() == Some(WASH_STARTED)
                        && !first_recorded(conn, e)? =>
                {
                    return refuse("conflict", format!(
                        "{}: wash batch {id} is finished; open a new batch for these containers", e.event_id
                    ));
                }
                wash::Started::Again(_) => {}
            }
            batch_id = Some(id.clone());
        }
        _ => {}
    }
    let mut outcomes = Vec::with_capacity(e.epcs.len());
    for (i, epc) in e.epcs.iter().enumerate() {
        // A receipt that does not name its shipment ends the one the container is on, when it
        // is bound for this site.
        let mut shipment_id = shipment_id.clone();
        if e.action == Action::Receive && shipment_id.is_none() {
            if let Ok(c) = rec.container(conn, epc)? {
                if c.dest_site_id.as_deref() == Some(e.site_id.as_str()) {
                    shipment_id = c.shipment_id;
                }
            }
        }
        let outcome = rec.record(
            conn,
            &EventRequest {
                id: Some(e.scan_id_of(i, epc)),
                code: epc.clone(),
                action: e.action,
                site_id: e.site_id.clone(),
                to_site_id: if e.action == Action::Ship {
                    e.to_site_id.clone()
                } else {
                    None
                },
                at,
                shipment_id: shipment_id.clone(),
                batch_id: batch_id.clone(),
                reason: e.reason.clone(),
            },
        )?;
        if outcome.status == Status::Recorded {
            after(conn, e, at, shipment_id.as_deref(), batch_id.as_deref())?;
        }
        outcomes.push(outcome);
    }
    let error = match &made {
        Made::Nothing => None,
        Made::Shipment(id) => nothing_recorded(&outcomes, "shipped")
            .map(|why| shipping::discard(conn, id).map(|()| why))
            .transpose()?,
        Made::Batch(id) => nothing_recorded(&outcomes, "put in the batch")
            .map(|why| wash::discard(conn, id).map(|()| why))
            .transpose()?,
    };
    Ok(Captured {
        event_id: e.event_id.clone(),
        outcomes,
        error,
    })
}

/// Whether the event was captured before: its first container's scan is recorded.
fn first_recorded(conn: &mut DbConnection, e: &Incoming) -> QueryResult<bool> {
    match e.epcs.first() {
        Some(epc) => crate::db::scans::event_recorded(conn, &e.scan_id_of(0, epc)),
        None => Ok(false),
    }
}

enum Made {
    Nothing,
    Shipment(String),
    Batch(String),
}

/// Commissions the container of a captured commissioning event, unless Boucle knows it (then
/// the same event again is a duplicate, and another one is refused by the rules).
fn commission(
    conn: &mut DbConnection,
    rec: &mut Recorder,
    e: &Incoming,
    i: usize,
    epc: &str,
    at: NaiveDateTime,
    may_commission: bool,
) -> anyhow::Result<Outcome> {
    let id = e.scan_id_of(i, epc);
    let refuse = |code, message: String| {
        Ok(Outcome::rejected(
            id.clone(),
            epc.to_owned(),
            Rejection::new(code, message),
            None,
        ))
    };
    let parsed = match parse_any(epc, &rec.prefix, rec.gs1.as_ref()) {
        Ok(p) => p,
        Err(err) => {
            return refuse(
                "invalid_code",
                format!("{epc:?} is not a container code: {err}"),
            )
        }
    };
    if find_by_serial(conn, &parsed.code, false)?.is_some() {
        return rec.record(
            conn,
            &EventRequest {
                id: Some(id.clone()),
                code: epc.to_owned(),
                action: Action::Commission,
                site_id: e.site_id.clone(),
                to_site_id: None,
                at,
                shipment_id: None,
                batch_id: None,
                reason: None,
            },
        );
    }
    if !may_commission {
        return refuse(
            "forbidden",
            format!("{}: only coordinators commission containers", e.event_id),
        );
    }
    let type_id = match (&e.type_id, parsed.asset_type) {
        (Some(t), _) => Some(t.clone()),
        (None, Some(n)) => container_types::table
            .filter(container_types::asset_type.eq(i64::try_from(n)?))
            .select(container_types::id)
            .first::<String>(conn)
            .optional()?,
        (None, None) => None,
    };
    let Some(type_id) = type_id else {
        return refuse("invalid_event", format!(
            "{}: a commissioning event names the container type in boucle:containerType, or gives the container as a GRAI", e.event_id
        ));
    };
    if find_type(conn, &type_id)?.is_none() {
        return refuse(
            "unknown_type",
            format!("{}: no container type has the id {type_id}", e.event_id),
        );
    }
    if rec.site(conn, &e.site_id)?.is_none() {
        return refuse(
            "unknown_site",
            format!("{}: no site has the id {}", e.event_id, e.site_id),
        );
    }
    if too_far_ahead(at, rec.now) {
        return refuse(
            "future_time",
            format!(
                "{}: the event's time {at} UTC is more than 5 minutes ahead of the server's clock",
                e.event_id
            ),
        );
    }
    let order = Commission {
        type_id: &type_id,
        site_id: &e.site_id,
        count: 1,
        at,
        user_id: rec.user_id.as_deref(),
        prefix: &rec.prefix,
        now: rec.now,
    };
    let made = commission_code(conn, &order, &parsed.code, &id)?;
    rec.touched.insert(e.site_id.clone());
    Ok(Outcome {
        id,
        code: made.code.clone(),
        status: Status::Recorded,
        error: None,
        container: Some(made),
        inferred: vec![],
    })
}

/// What a recorded receipt, wash or reject changes of its shipment or batch.
fn after(
    conn: &mut DbConnection,
    e: &Incoming,
    at: NaiveDateTime,
    shipment_id: Option<&str>,
    batch_id: Option<&str>,
) -> QueryResult<()> {
    match (e.action, shipment_id, batch_id) {
        (Action::Receive, Some(s), _) => {
            diesel::update(
                shipments::table
                    .find(s)
                    .filter(shipments::received_at.is_null()),
            )
            .set(shipments::received_at.eq(at))
            .execute(conn)?;
        }
        (Action::Wash, _, Some(b)) if e.reason.as_deref() == Some(WASH_FINISHED) => {
            diesel::update(wash_batches::table.find(b))
                .set((
                    wash_batches::washed.eq(wash_batches::washed + 1),
                    wash_batches::finished_at.eq(at),
                ))
                .execute(conn)?;
        }
        (Action::Reject, _, Some(b)) => {
            diesel::update(wash_batches::table.find(b))
                .set((
                    wash_batches::rejected.eq(wash_batches::rejected + 1),
                    wash_batches::finished_at.eq(at),
                ))
                .execute(conn)?;
        }
        _ => {}
    }
    Ok(())
}
