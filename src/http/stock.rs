//! `GET /stock`: containers by site and type, by condition.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Authed;
use super::views::ErrorView;
use super::{lookup, State};
use crate::db::stock::{stock, StockRow};
use crate::error::AppError;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StockQuery {
    /// One site; site-bound users see their own site when absent.
    site_id: Option<String>,
    /// One container type.
    type_id: Option<String>,
}

/// Users bound to a site see their own site's stock only; coordinators see every site's.
#[utoipa::path(get, path = "/api/v1/stock", operation_id = "getStock", tag = "stock",
    params(StockQuery),
    responses(
        (status = 200, description = "One row per site and type that holds or awaits any container, by site then type.", body = Vec<StockRow>),
        (status = 403, description = "`forbidden`: the site asked for is not the user's.", body = ErrorView),
    ))]
pub async fn get(
    state: State,
    authed: Authed,
    query: web::Query<StockQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let site = match (&authed.actor.site_id, q.site_id) {
        (_, Some(asked)) => {
            authed.at_site(&asked)?;
            Some(asked)
        }
        (Some(own), None) if !authed.actor.role.manages_loop() => Some(own.clone()),
        _ => None,
    };
    let rows = lookup(&state, move |conn| {
        Ok(stock(
            conn,
            site.as_deref(),
            q.type_id.as_deref(),
            chrono::Utc::now().date_naive(),
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(rows))
}
