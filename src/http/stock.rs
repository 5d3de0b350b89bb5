//! `GET /stock`: containers by site and type, by condition.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::auth::Authed;
use super::{read, State};
use crate::db::stock::stock;
use crate::error::AppError;

#[derive(Deserialize)]
pub struct StockQuery {
    site_id: Option<String>,
    type_id: Option<String>,
}

/// Users bound to a site see their own site's stock only; coordinators see every site's.
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
    let rows = read(&state, move |conn| {
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
