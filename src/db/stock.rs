//! Stock: how many containers of each type a site holds, by condition, and what is on its way.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Days, NaiveDate};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::holdings_now as holdings;
use super::schema::sites;
use super::sums::fills_by_site_and_type;
use super::DbConnection;
use crate::domain::state::{Condition, Place};

#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StockRow {
    pub site_id: String,
    pub type_id: String,
    pub clean: i64,
    pub filled: i64,
    pub dirty: i64,
    pub washing: i64,
    /// Containers of any condition on shipments to this site, not yet received.
    pub inbound: i64,
    /// Containers sold by this site and not yet returned.
    pub with_consumer: i64,
    /// For producers: how many days the clean containers, here and inbound, last at the
    /// average daily fills of the 28 days before today (null without fills, and elsewhere).
    pub days_of_cover: Option<f64>,
    #[serde(skip)]
    pub inbound_clean: i64,
}

/// One row per site and type that holds or awaits any container, ordered by site then type.
pub fn stock(
    conn: &mut DbConnection,
    site_id: Option<&str>,
    type_id: Option<&str>,
    today: NaiveDate,
) -> QueryResult<Vec<StockRow>> {
    // The counts kept by the triggers of migration 10: a few rows a site, however many
    // containers it holds.
    // With the kind of the site, which tells who fills (for the days of cover).
    let columns = (
        holdings::site_id,
        holdings::type_id,
        holdings::state,
        holdings::condition,
        holdings::n,
        sites::kind,
    );
    let with_site = sites::table.on(sites::id.eq(holdings::site_id));
    let held: Vec<(String, String, String, String, i64, String)> = match (site_id, type_id) {
        // The question asked most (a site's stock) as a statement the connection keeps
        // prepared; a boxed query is prepared again at every call.
        (Some(site), None) => crate::each_backend!(conn, c => holdings::table
            .inner_join(with_site)
            .filter(holdings::n.gt(0))
            .filter(holdings::site_id.eq(site))
            .select(columns)
            .load(c))?,
        _ => {
            let mut held = holdings::table
                .inner_join(with_site)
                .filter(holdings::n.gt(0))
                .select(columns)
                .into_boxed();
            if let Some(site) = site_id {
                held = held.filter(holdings::site_id.eq(site));
            }
            if let Some(t) = type_id {
                held = held.filter(holdings::type_id.eq(t));
            }
            held.load(conn)?
        }
    };
    let mut out: BTreeMap<(String, String), StockRow> = BTreeMap::new();
    let mut fillers = BTreeSet::new();
    for (site, t, state, condition, n, kind) in held {
        if matches!(kind.as_str(), "producer" | "company") {
            fillers.insert(site.clone());
        }
        let r = row(&mut out, site, t);
        match (Place::parse(&state), Condition::parse(&condition)) {
            (Some(Place::Washing), _) => r.washing += n,
            (Some(Place::WithConsumer), _) => r.with_consumer += n,
            (Some(Place::InTransit), c) => {
                r.inbound += n;
                if c == Some(Condition::Clean) {
                    r.inbound_clean += n;
                }
            }
            (_, Some(Condition::Clean)) => r.clean += n,
            (_, Some(Condition::Filled)) => r.filled += n,
            (_, Some(Condition::Dirty)) => r.dirty += n,
            _ => {}
        }
    }
    let mut rows: Vec<StockRow> = out.into_values().collect();
    add_cover(conn, &mut rows, &fillers, today)?;
    Ok(rows)
}

fn row(rows: &mut BTreeMap<(String, String), StockRow>, site: String, t: String) -> &mut StockRow {
    rows.entry((site.clone(), t.clone()))
        .or_insert_with(|| StockRow {
            site_id: site,
            type_id: t,
            ..StockRow::default()
        })
}

/// Days over which a producer's fill rate is averaged.
pub const COVER_WINDOW_DAYS: u64 = 28;

/// Sets `days_of_cover` on the rows of `fillers`: producers, and companies, which fill too.
fn add_cover(
    conn: &mut DbConnection,
    rows: &mut [StockRow],
    fillers: &BTreeSet<String>,
    today: NaiveDate,
) -> QueryResult<()> {
    if fillers.is_empty() {
        return Ok(());
    }
    let start = today
        .checked_sub_days(Days::new(COVER_WINDOW_DAYS))
        .unwrap_or(today);
    let fills = fills_by_site_and_type(conn, start, today)?;
    for r in rows.iter_mut().filter(|r| fillers.contains(&r.site_id)) {
        let per_day = fills
            .get(&(r.site_id.clone(), r.type_id.clone()))
            .copied()
            .unwrap_or(0) as f64
            / COVER_WINDOW_DAYS as f64;
        r.days_of_cover = (per_day > 0.0).then(|| (r.clean + r.inbound_clean) as f64 / per_day);
    }
    Ok(())
}
