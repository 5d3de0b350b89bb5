//! The events an EPCIS export gives, in recording order.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::Event;
use super::schema::{containers, events, shipments};
use super::DbConnection;

/// An event with its container's code and type, and the origin of its shipment.
pub struct Row {
    pub event: Event,
    pub code: String,
    pub type_id: String,
    pub shipment_from: Option<String>,
    pub vehicle: Option<String>,
    pub distance_km: Option<f64>,
}

/// The recorded events with `at` in [from, to), at or bound for `site` when given, in time
/// order; at most `limit` of them.
pub fn events_between(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
    site: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Row>> {
    let mut q = events::table
        .inner_join(containers::table)
        .left_join(shipments::table)
        .filter(events::at.ge(from))
        .filter(events::at.lt(to))
        .filter(crate::live_events!())
        .order((events::at, events::seq))
        .limit(limit)
        .select((
            Event::as_select(),
            containers::code,
            containers::type_id,
            shipments::from_site_id.nullable(),
            shipments::vehicle.nullable(),
            shipments::distance_km.nullable(),
        ))
        .into_boxed();
    if let Some(s) = site {
        q = q.filter(
            events::site_id
                .eq(s.to_owned())
                .or(events::to_site_id.eq(s.to_owned())),
        );
    }
    type Loaded = (
        Event,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<f64>,
    );
    let rows: Vec<Loaded> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(event, code, type_id, shipment_from, vehicle, distance_km)| Row {
                event,
                code,
                type_id,
                shipment_from,
                vehicle,
                distance_km,
            },
        )
        .collect())
}
