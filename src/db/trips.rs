//! Trips as stored, kept with every event; read for the return curve.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::trips;
use super::DbConnection;
use crate::domain::figures::TripsUpdate;
use crate::domain::trips::{Trip, TripEvent};

pub fn apply(
    conn: &mut DbConnection,
    container_id: &str,
    type_id: &str,
    update: &TripsUpdate,
) -> QueryResult<()> {
    match update {
        TripsUpdate::Append(events) => {
            for e in events {
                match e {
                    TripEvent::Opened { at, shop_id } => insert(
                        conn,
                        container_id,
                        type_id,
                        &Trip {
                            shop_id: shop_id.clone(),
                            received_at: *at,
                            returned_at: None,
                        },
                    )?,
                    TripEvent::Returned { at } => {
                        super::prepared::close_trip(container_id, *at).run(conn)?;
                    }
                }
            }
        }
        TripsUpdate::Replace(all) => {
            diesel::delete(trips::table.filter(trips::container_id.eq(container_id)))
                .execute(conn)?;
            for t in all {
                insert(conn, container_id, type_id, t)?;
            }
        }
    }
    Ok(())
}

fn insert(conn: &mut DbConnection, container_id: &str, type_id: &str, t: &Trip) -> QueryResult<()> {
    super::prepared::insert_trip(
        container_id,
        &t.shop_id,
        type_id,
        t.received_at,
        t.returned_at,
    )
    .run(conn)?;
    Ok(())
}

/// Trips that started in [from, to), at one shop or all: (shop, received, returned).
pub fn started_in(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
    shop: Option<&str>,
) -> QueryResult<Vec<(String, NaiveDateTime, Option<NaiveDateTime>)>> {
    let mut q = trips::table
        .filter(trips::received_at.ge(from))
        .filter(trips::received_at.lt(to))
        .select((trips::shop_id, trips::received_at, trips::returned_at))
        .into_boxed();
    if let Some(shop) = shop {
        q = q.filter(trips::shop_id.eq(shop));
    }
    q.order((trips::shop_id, trips::received_at)).load(conn)
}

/// A stored trip: container, shop, received, returned.
pub type StoredTrip = (String, String, NaiveDateTime, Option<NaiveDateTime>);

/// Every stored trip of every container, for checking.
pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<StoredTrip>> {
    trips::table
        .select((
            trips::container_id,
            trips::shop_id,
            trips::received_at,
            trips::returned_at,
        ))
        .order((trips::container_id, trips::received_at))
        .load(conn)
}

pub fn delete_all(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::delete(trips::table).execute(conn)
}
