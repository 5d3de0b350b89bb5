//! Sites, routes and container types: what the coordinator sets up.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::{ContainerType, Route, Site};
use super::schema::{container_types, routes, sites};
use super::DbConnection;

pub fn insert_site(conn: &mut DbConnection, site: &Site) -> QueryResult<()> {
    diesel::insert_into(sites::table)
        .values(site)
        .execute(conn)
        .map(drop)
}

pub fn list_sites(conn: &mut DbConnection) -> QueryResult<Vec<Site>> {
    sites::table
        .select(Site::as_select())
        .order((sites::name, sites::id))
        .load(conn)
}

pub fn find_site(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Site>> {
    crate::each_backend!(conn, c => sites::table
        .find(id)
        .select(Site::as_select())
        .get_result(c)
        .optional())
}

/// Sets the distance of a route, replacing the one recorded for the same direction.
pub fn put_route(conn: &mut DbConnection, route: &Route) -> QueryResult<()> {
    let existing = routes::table
        .find((&route.from_site_id, &route.to_site_id))
        .select(routes::distance_km)
        .get_result::<f64>(conn)
        .optional()?;
    if existing.is_some() {
        diesel::update(routes::table.find((&route.from_site_id, &route.to_site_id)))
            .set((
                routes::distance_km.eq(route.distance_km),
                routes::updated_at.eq(route.updated_at),
            ))
            .execute(conn)?;
    } else {
        diesel::insert_into(routes::table)
            .values(route)
            .execute(conn)?;
    }
    Ok(())
}

/// The route from `from` to `to`, or else the one set for the reverse direction.
pub fn route_km(conn: &mut DbConnection, from: &str, to: &str) -> QueryResult<Option<f64>> {
    let direct = routes::table
        .find((from, to))
        .select(routes::distance_km)
        .get_result::<f64>(conn)
        .optional()?;
    if direct.is_some() {
        return Ok(direct);
    }
    routes::table
        .find((to, from))
        .select(routes::distance_km)
        .get_result::<f64>(conn)
        .optional()
}

pub fn list_routes(conn: &mut DbConnection) -> QueryResult<Vec<Route>> {
    routes::table
        .select(Route::as_select())
        .order((routes::from_site_id, routes::to_site_id))
        .load(conn)
}

/// Saves a new type with the next asset type number, which it returns.
pub fn insert_type(conn: &mut DbConnection, t: &ContainerType) -> QueryResult<i64> {
    let last: Option<i64> = container_types::table
        .select(diesel::dsl::max(container_types::asset_type))
        .get_result(conn)?;
    let numbered = ContainerType {
        asset_type: last.unwrap_or(0) + 1,
        ..t.clone()
    };
    diesel::insert_into(container_types::table)
        .values(&numbered)
        .execute(conn)?;
    Ok(numbered.asset_type)
}

pub fn list_types(conn: &mut DbConnection) -> QueryResult<Vec<ContainerType>> {
    container_types::table
        .select(ContainerType::as_select())
        .order((container_types::name, container_types::id))
        .load(conn)
}

pub fn find_type(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ContainerType>> {
    crate::each_backend!(conn, c => container_types::table
        .find(id)
        .select(ContainerType::as_select())
        .get_result(c)
        .optional())
}

/// The current time as stored: UTC, to the microsecond, like every timestamp.
pub fn now() -> NaiveDateTime {
    crate::domain::time::truncate(chrono::Utc::now().naive_utc())
}
