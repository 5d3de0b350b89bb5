//! The holdings (containers by site, type, state and condition) that the triggers of
//! migration 10 keep, checked against the containers' rows and rebuilt from them.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::schema::holdings;
use super::schema::holdings_now;
use super::DbConnection;

/// What the triggers count, from the rows themselves: in transit at the destination,
/// retired nowhere.
const FROM_CONTAINERS: &str =
    "SELECT CASE WHEN state = 'in_transit' THEN dest_site_id ELSE site_id END AS site_id, \
     type_id, state, condition, count(*) AS n FROM containers \
     WHERE state <> 'retired' AND (state <> 'in_transit' OR dest_site_id IS NOT NULL) \
     GROUP BY 1, 2, 3, 4";

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    site_id: String,
    #[diesel(sql_type = Text)]
    type_id: String,
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = Text)]
    condition: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

type Key = (String, String, String, String);

/// The differences between the kept holdings and a count of the rows, one line each.
pub fn differences(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    let counted: BTreeMap<Key, i64> = crate::each_backend!(&mut *conn, db => {
        diesel::sql_query(FROM_CONTAINERS).load::<Row>(db)
    })?
    .into_iter()
    .map(|r| ((r.site_id, r.type_id, r.state, r.condition), r.n))
    .collect();
    let kept: BTreeMap<Key, i64> = holdings_now::table
        .filter(holdings_now::n.ne(0))
        .select((
            (
                holdings_now::site_id,
                holdings_now::type_id,
                holdings_now::state,
                holdings_now::condition,
            ),
            holdings_now::n,
        ))
        .load::<(Key, i64)>(conn)?
        .into_iter()
        .collect();
    let mut out = Vec::new();
    for key in counted
        .keys()
        .chain(kept.keys().filter(|k| !counted.contains_key(*k)))
    {
        let (rows, held) = (
            counted.get(key).copied().unwrap_or(0),
            kept.get(key).copied().unwrap_or(0),
        );
        if rows != held {
            out.push(format!(
                "site {} type {} {} {}: {rows} containers, {held} in the holdings",
                key.0, key.1, key.2, key.3
            ));
        }
    }
    Ok(out)
}

/// Replaces the holdings with a count of the rows.
pub fn rebuild(conn: &mut DbConnection) -> QueryResult<()> {
    diesel::delete(holdings::table).execute(conn)?;
    super::deltas::forget_holdings(conn)?;
    let sql =
        format!("INSERT INTO holdings (site_id, type_id, state, condition, n) {FROM_CONTAINERS}");
    crate::each_backend!(&mut *conn, db => diesel::sql_query(&sql).execute(db))?;
    Ok(())
}
