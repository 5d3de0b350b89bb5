//! `GET /reports/flows` and `/reports/returns`: where containers travel, and how fast they
//! come back.

use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::auth::Authed;
use super::reports::{asked, csv_text, ReportQuery};
use super::views::ErrorView;
use super::{read, State};
use crate::db::models::Site;
use crate::db::reports::Flow;
use crate::domain::trips::{return_curve, ReturnCurve};
use crate::error::AppError;

pub const FLOW_FIELDS: &[&str] = &[
    "from_site_id",
    "from_name",
    "to_site_id",
    "to_name",
    "shipments",
    "containers",
    "vehicle_km",
    "container_km",
];

/// Shipments between two sites over a period.
#[derive(Serialize, ToSchema)]
pub struct FlowView {
    from_name: Option<String>,
    to_name: Option<String>,
    #[serde(flatten)]
    flow: Flow,
}

/// `GET /reports/flows`: shipments, containers, vehicle-km and container-km for each pair of
/// sites (the origin-destination matrix).
#[utoipa::path(get, path = "/api/v1/reports/flows", operation_id = "getFlows", tag = "reports",
    params(ReportQuery),
    responses(
        (status = 200, content((Vec<FlowView> = "application/json"), (String = "text/csv")), description = "One row per pair of sites with shipments departed in the period."),
        (status = 403, description = "`forbidden`: the site asked for is not the user's.", body = ErrorView),
    ))]
pub async fn flows(
    state: State,
    authed: Authed,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let a = asked(&authed, query.into_inner())?;
    let (from, to, scope) = (a.from, a.to, a.scope.clone());
    let (flows, sites) = read(&state, move |conn| {
        Ok((
            crate::db::reports::flows(conn, from, to, &scope)?,
            crate::db::catalog::list_sites(conn)?,
        ))
    })
    .await?;
    if a.csv {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(flows_csv(flows, &sites)));
    }
    Ok(HttpResponse::Ok().json(flow_views(flows, &sites)))
}

/// Each flow with the names of its sites.
pub fn flow_views(flows: Vec<Flow>, sites: &[Site]) -> Vec<FlowView> {
    let name = |id: &str| sites.iter().find(|s| s.id == id).map(|s| s.name.clone());
    flows
        .into_iter()
        .map(|flow| FlowView {
            from_name: name(&flow.from_site_id),
            to_name: name(&flow.to_site_id),
            flow,
        })
        .collect()
}

/// The flows as CSV, in the columns of [`FLOW_FIELDS`].
pub fn flows_csv(flows: Vec<Flow>, sites: &[Site]) -> String {
    let rows = flow_views(flows, sites)
        .iter()
        .filter_map(|v| match serde_json::to_value(v) {
            Ok(Value::Object(m)) => Some(m),
            _ => None,
        })
        .collect::<Vec<_>>();
    csv_text(FLOW_FIELDS, &rows)
}

/// The return curve of one shop's trips.
#[derive(Serialize, ToSchema)]
pub struct ShopCurve {
    pub site_id: String,
    pub name: Option<String>,
    #[serde(flatten)]
    pub curve: ReturnCurve,
}

/// How fast containers come back, over the trips started in a period.
#[derive(Serialize, ToSchema)]
pub struct ReturnsView {
    from: String,
    to: String,
    site_id: Option<String>,
    /// Every shop's trips together.
    all: ReturnCurve,
    shops: Vec<ShopCurve>,
}

/// `GET /reports/returns`: per shop, the share of the period's trips returned after N days
/// (Kaplan-Meier, trips still out censored at now) and the median days to return.
#[utoipa::path(get, path = "/api/v1/reports/returns", operation_id = "getReturnCurves", tag = "reports",
    params(ReportQuery),
    responses(
        (status = 200, description = "The curves of the loop and of each shop.", body = ReturnsView),
        (status = 403, description = "`forbidden`: the site asked for is not the user's.", body = ErrorView),
    ))]
pub async fn returns(
    state: State,
    authed: Authed,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let a = asked(&authed, query.into_inner())?;
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default();
    let (from, to, shop) = (midnight(a.from), midnight(a.to), a.scope.site_id.clone());
    let (trips, sites) = read(&state, move |conn| {
        Ok((
            crate::db::trips::started_in(conn, from, to, shop.as_deref())?,
            crate::db::catalog::list_sites(conn)?,
        ))
    })
    .await?;
    let (all, shops) = curves(&trips, &sites, chrono::Utc::now().naive_utc());
    Ok(HttpResponse::Ok().json(ReturnsView {
        from: a.from.format("%Y-%m-%d").to_string(),
        to: a.to.format("%Y-%m-%d").to_string(),
        site_id: a.scope.site_id,
        all,
        shops,
    }))
}

/// The return curve of all the trips, and of each shop's, trips still out counted up to
/// `now` (censored).
pub fn curves(
    trips: &[(String, NaiveDateTime, Option<NaiveDateTime>)],
    sites: &[Site],
    now: NaiveDateTime,
) -> (ReturnCurve, Vec<ShopCurve>) {
    let days =
        |d: chrono::TimeDelta| d.num_microseconds().unwrap_or(i64::MAX) as f64 / 86_400_000_000.0;
    let observation = |received: NaiveDateTime, returned: Option<NaiveDateTime>| match returned {
        Some(r) => (days(r - received), true),
        None => (days(now - received), false),
    };
    let mut by_shop: std::collections::BTreeMap<String, Vec<(f64, bool)>> =
        std::collections::BTreeMap::new();
    for (shop, received, returned) in trips {
        by_shop
            .entry(shop.clone())
            .or_default()
            .push(observation(*received, *returned));
    }
    let all: Vec<(f64, bool)> = by_shop.values().flatten().copied().collect();
    let shops = by_shop
        .into_iter()
        .map(|(site_id, obs)| ShopCurve {
            name: sites
                .iter()
                .find(|s| s.id == site_id)
                .map(|s| s.name.clone()),
            site_id,
            curve: return_curve(&obs),
        })
        .collect();
    (return_curve(&all), shops)
}
