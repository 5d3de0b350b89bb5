//! The thresholds alerts are checked against, as coordinators (and producers, for their own
//! stock) set them.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{collection_thresholds, low_stock_thresholds};
use crate::db::DbConnection;

#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
pub struct LowStock {
    pub site_id: String,
    pub type_id: String,
    pub min_clean: i64,
}

#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
pub struct Collection {
    pub site_id: String,
    pub min_dirty: Option<i64>,
    pub max_wait_days: Option<f64>,
}

/// Sets a producer's threshold for a type; 0 removes it.
pub fn put_low_stock(
    conn: &mut DbConnection,
    site_id: &str,
    type_id: &str,
    min_clean: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(low_stock_thresholds::table.find((site_id, type_id))).execute(conn)?;
    if min_clean > 0 {
        diesel::insert_into(low_stock_thresholds::table)
            .values((
                low_stock_thresholds::site_id.eq(site_id),
                low_stock_thresholds::type_id.eq(type_id),
                low_stock_thresholds::min_clean.eq(min_clean),
                low_stock_thresholds::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Sets a shop's own collection thresholds; none takes the loop's default.
pub fn put_collection(
    conn: &mut DbConnection,
    site_id: &str,
    min_dirty: Option<i64>,
    max_wait_days: Option<f64>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(collection_thresholds::table.find(site_id)).execute(conn)?;
    if min_dirty.is_some() || max_wait_days.is_some() {
        diesel::insert_into(collection_thresholds::table)
            .values((
                collection_thresholds::site_id.eq(site_id),
                collection_thresholds::min_dirty.eq(min_dirty),
                collection_thresholds::max_wait_days.eq(max_wait_days),
                collection_thresholds::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn all_low_stock(conn: &mut DbConnection) -> QueryResult<Vec<LowStock>> {
    low_stock_thresholds::table
        .order((low_stock_thresholds::site_id, low_stock_thresholds::type_id))
        .select((
            low_stock_thresholds::site_id,
            low_stock_thresholds::type_id,
            low_stock_thresholds::min_clean,
        ))
        .load(conn)
}

pub fn all_collection(conn: &mut DbConnection) -> QueryResult<Vec<Collection>> {
    collection_thresholds::table
        .order(collection_thresholds::site_id)
        .select((
            collection_thresholds::site_id,
            collection_thresholds::min_dirty,
            collection_thresholds::max_wait_days,
        ))
        .load(conn)
}
