//! Shipments: containers moved from one site to another, and their receipt.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::catalog::route_km;
use super::models::Shipment;
use super::requests::{duplicates, nothing_recorded, Link};
use super::scans::{EventRequest, Outcome, Recorder, Rejection, Status};
use super::schema::{containers, events, shipments};
use super::DbConnection;
use crate::domain::bounds::DISTANCE_KM;
use crate::domain::distance::leg_distance;
use crate::domain::state::{Action, Place, Vehicle};

pub struct NewShipment {
    pub id: Option<String>,
    pub from_site_id: String,
    pub to_site_id: String,
    pub codes: Vec<String>,
    pub departed_at: NaiveDateTime,
    pub distance_km: Option<f64>,
    pub vehicle: Option<String>,
    pub detour_factor: f64,
}

/// A shipment with the outcome of each code of the request.
pub struct ShipmentReport {
    pub shipment: Shipment,
    pub results: Vec<Outcome>,
    pub containers: i64,
    pub missing: Vec<String>,
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Shipment>> {
    shipments::table
        .find(id)
        .select(Shipment::as_select())
        .get_result(conn)
        .optional()
}

/// Makes the shipment and ships its codes, each on its own; refused whole, with nothing
/// made, when none of them can be shipped (rule 5).
pub fn create(
    conn: &mut DbConnection,
    rec: &mut Recorder,
    req: &NewShipment,
) -> anyhow::Result<Result<ShipmentReport, Rejection>> {
    let shipment = match open(conn, rec, req)? {
        Opened::New(shipment) => shipment,
        Opened::Again(report) => return Ok(Ok(report)),
        Opened::Refused(why) => return Ok(Err(why)),
    };
    let mut results = Vec::with_capacity(req.codes.len());
    for code in &req.codes {
        results.push(rec.record(conn, &ship_event(&shipment, code, None))?);
    }
    if let Some(why) = nothing_recorded(&results, "shipped") {
        discard(conn, &shipment.id)?;
        return Ok(Err(why));
    }
    Ok(Ok(report(conn, shipment, results)?))
}

/// What [`open`] made of a request.
pub enum Opened {
    /// A new shipment, with nothing on board yet.
    New(Shipment),
    /// The id names this shipment already: the request sent again.
    Again(ShipmentReport),
    Refused(Rejection),
}

/// Checks a new shipment and writes it, with nothing on board: the caller ships its codes
/// ([`ship_event`]), then [`discard`]s it if none could be.
pub fn open(
    conn: &mut DbConnection,
    rec: &mut Recorder,
    req: &NewShipment,
) -> anyhow::Result<Opened> {
    if let Err(why) = rec.may_act_at(conn, &req.from_site_id, "this shipment leaves from")? {
        return Ok(Opened::Refused(why));
    }
    if let Some(id) = &req.id {
        if let Some(existing) = find(conn, id)? {
            if existing.from_site_id != req.from_site_id || existing.to_site_id != req.to_site_id {
                return Ok(Opened::Refused(Rejection::new(
                    "conflict",
                    format!(
                        "the id {id} belongs to another shipment; give each shipment its own id"
                    ),
                )));
            }
            let results = duplicates(conn, rec, &req.codes, Link::Shipment(id), Action::Ship)?;
            return Ok(Opened::Again(report(conn, existing, results)?));
        }
    }
    let Some(from) = rec.site(conn, &req.from_site_id)? else {
        return Ok(Opened::Refused(Rejection::new(
            "unknown_site",
            format!("no site has the id {} (from_site_id)", req.from_site_id),
        )));
    };
    let Some(to) = rec.site(conn, &req.to_site_id)? else {
        return Ok(Opened::Refused(Rejection::new(
            "unknown_site",
            format!("no site has the id {} (to_site_id)", req.to_site_id),
        )));
    };
    if let Some(Err(why)) = req.distance_km.map(|d| DISTANCE_KM.check("distance_km", d)) {
        return Ok(Opened::Refused(Rejection::new("invalid_field", why)));
    }
    // A vehicle with no transport factor would make the loop's balance null for good.
    if let Some(v) = req
        .vehicle
        .as_deref()
        .filter(|v| Vehicle::parse(v).is_none())
    {
        return Ok(Opened::Refused(Rejection::new(
            "invalid_field",
            format!(
                "vehicle {v:?} is not known; give one of {}",
                Vehicle::choices()
            ),
        )));
    }
    if from.id == to.id {
        return Ok(Opened::Refused(Rejection::new(
            "invalid_field",
            "a shipment goes from one site to another: from_site_id and to_site_id are the same",
        )));
    }
    let route = match req.distance_km {
        Some(_) => None,
        None => route_km(conn, &from.id, &to.id)?,
    };
    let (km, source) = leg_distance(
        req.distance_km,
        route,
        (from.lat, from.lon),
        (to.lat, to.lon),
        req.detour_factor,
    );
    let shipment = Shipment {
        id: req
            .id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
        from_site_id: from.id.clone(),
        to_site_id: to.id.clone(),
        departed_at: req.departed_at,
        received_at: None,
        vehicle: req.vehicle.clone(),
        distance_km: km,
        distance_source: source.as_str().to_owned(),
        user_id: rec.user_id.clone(),
        recorded_at: rec.now,
    };
    diesel::insert_into(shipments::table)
        .values(&shipment)
        .execute(conn)?;
    Ok(Opened::New(shipment))
}

/// The `ship` event of one code on `shipment`, with the client's id when it gave one.
pub fn ship_event(shipment: &Shipment, code: &str, id: Option<String>) -> EventRequest {
    EventRequest {
        id,
        code: code.to_owned(),
        action: Action::Ship,
        site_id: shipment.from_site_id.clone(),
        to_site_id: Some(shipment.to_site_id.clone()),
        at: shipment.departed_at,
        shipment_id: Some(shipment.id.clone()),
        batch_id: None,
        reason: None,
    }
}

/// Removes a shipment just made that nothing went on board: no event names it yet.
pub fn discard(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::delete(shipments::table.find(id)).execute(conn)?;
    Ok(())
}

/// Records the arrival of `codes` (all the shipment's containers when `None`) at `at`.
pub fn receive(
    conn: &mut DbConnection,
    rec: &mut Recorder,
    shipment: Shipment,
    at: NaiveDateTime,
    codes: Option<Vec<String>>,
) -> anyhow::Result<Result<ShipmentReport, Rejection>> {
    if let Err(why) = rec.may_act_at(
        conn,
        &shipment.to_site_id,
        "only the destination receives a shipment: this one goes to",
    )? {
        return Ok(Err(why));
    }
    if at < shipment.departed_at {
        return Ok(Err(Rejection::new(
            "invalid_field",
            format!(
                "the receipt time {at} UTC is before the shipment left ({} UTC)",
                shipment.departed_at
            ),
        )));
    }
    let on_board = codes_on_board(conn, &shipment.id)?;
    let codes = codes.unwrap_or_else(|| on_board.clone());
    let mut results = Vec::with_capacity(codes.len());
    let mut any = false;
    for code in &codes {
        let container = match rec.container(conn, code)? {
            Ok(c) => c,
            Err(why) => {
                results.push(Outcome::rejected(
                    uuid::Uuid::now_v7().to_string(),
                    code.clone(),
                    why,
                    None,
                ));
                continue;
            }
        };
        if !on_board.contains(&container.code) {
            let why = Rejection::new(
                "not_on_shipment",
                format!(
                    "container {} was not shipped on this shipment; scan it into its own shipment",
                    container.code
                ),
            );
            results.push(Outcome::rejected(
                uuid::Uuid::now_v7().to_string(),
                container.code.clone(),
                why,
                Some(container),
            ));
            continue;
        }
        let mut outcome = rec.record(
            conn,
            &EventRequest {
                id: None,
                code: container.code.clone(),
                action: Action::Receive,
                site_id: shipment.to_site_id.clone(),
                to_site_id: None,
                at,
                shipment_id: Some(shipment.id.clone()),
                batch_id: None,
                reason: None,
            },
        )?;
        // No longer in transit on this shipment: it has been received already.
        if outcome
            .error
            .as_ref()
            .is_some_and(|e| e.code == "invalid_transition")
        {
            outcome.status = Status::Duplicate;
            outcome.error = None;
        }
        any |= outcome.status == Status::Recorded;
        results.push(outcome);
    }
    let mut shipment = shipment;
    if any && shipment.received_at.is_none() {
        diesel::update(shipments::table.find(&shipment.id))
            .set(shipments::received_at.eq(at))
            .execute(conn)?;
        shipment.received_at = Some(at);
    }
    Ok(Ok(report(conn, shipment, results)?))
}

fn codes_on_board(conn: &mut DbConnection, shipment_id: &str) -> QueryResult<Vec<String>> {
    events::table
        .inner_join(containers::table)
        .filter(events::shipment_id.eq(shipment_id))
        .filter(events::action.eq(Action::Ship.as_str()))
        .select(containers::code)
        .distinct()
        .order(containers::code)
        .load(conn)
}

/// The shipment as it stands, with no request's outcomes.
pub fn summary(conn: &mut DbConnection, shipment: Shipment) -> QueryResult<ShipmentReport> {
    report(conn, shipment, vec![])
}

fn report(
    conn: &mut DbConnection,
    shipment: Shipment,
    results: Vec<Outcome>,
) -> QueryResult<ShipmentReport> {
    let containers_count = codes_on_board(conn, &shipment.id)?.len() as i64;
    let missing = containers::table
        .filter(containers::shipment_id.eq(&shipment.id))
        .filter(containers::state.eq("in_transit"))
        .select(containers::code)
        .order(containers::code)
        .load(conn)?;
    Ok(ShipmentReport {
        shipment,
        results,
        containers: containers_count,
        missing,
    })
}

/// Shipments on their way to `site_id`: those with containers still in transit to it, oldest
/// first, with how many are still on board.
pub fn inbound(conn: &mut DbConnection, site_id: &str) -> QueryResult<Vec<(Shipment, i64)>> {
    let counts: Vec<(Option<String>, i64)> = containers::table
        .filter(containers::state.eq(Place::InTransit.as_str()))
        .filter(containers::dest_site_id.eq(site_id))
        .group_by(containers::shipment_id)
        .select((containers::shipment_id, diesel::dsl::count_star()))
        .load(conn)?;
    let mut out = Vec::with_capacity(counts.len());
    for (id, n) in counts {
        let Some(id) = id else { continue };
        if let Some(s) = find(conn, &id)? {
            out.push((s, n));
        }
    }
    out.sort_by_key(|s| s.0.departed_at);
    Ok(out)
}
