//! Shipments between sites, and their receipt.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Authed;
use super::views::{ErrorView, ShipmentView};
use super::{client_id, read, record, refused, time_or_now, State};
use crate::db::catalog::now;
use crate::db::shipments::{self, NewShipment};
use crate::domain::state::Vehicle;
use crate::error::AppError;

/// The most containers on one shipment.
pub const MAX_CODES: usize = 10_000;

#[derive(Deserialize, ToSchema)]
pub struct ShipmentBody {
    /// A UUID made by the client, so that a shipment sent twice is made once.
    id: Option<String>,
    from_site_id: String,
    to_site_id: String,
    /// The containers on board, 1 to 10,000.
    codes: Vec<String>,
    /// RFC 3339; now when absent.
    departed_at: Option<String>,
    /// When absent: the route's distance, else the straight line times the detour factor.
    distance_km: Option<f64>,
    #[schema(value_type = Option<Vehicle>)]
    vehicle: Option<String>,
}

pub fn check_codes(codes: &[String]) -> Result<(), AppError> {
    if codes.len() > MAX_CODES {
        return Err(AppError::unprocessable(
            "batch_too_large",
            format!("{} codes in one request; at most {MAX_CODES}", codes.len()),
        ));
    }
    Ok(())
}

/// Ships containers from one site to another: each is checked on its own.
#[utoipa::path(post, path = "/api/v1/shipments", operation_id = "createShipment", tag = "shipments",
    request_body = ShipmentBody,
    responses(
        (status = 201, description = "The shipment, with one result per code.", body = ShipmentView),
        (status = 403, description = "`forbidden`: the shipment does not leave from the user's site.", body = ErrorView),
        (status = 409, description = "`conflict`: the id names another shipment.", body = ErrorView),
        (status = 422, description = "`invalid_field`, `batch_too_large`, `unknown_site`, `future_time`.", body = ErrorView),
    ))]
pub async fn create(
    state: State,
    authed: Authed,
    body: web::Json<ShipmentBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    check_codes(&b.codes)?;
    if b.codes.is_empty() {
        return Err(AppError::unprocessable(
            "invalid_field",
            "codes is empty: list the codes of the containers on board",
        ));
    }
    if let Some(v) = &b.vehicle {
        if Vehicle::parse(v).is_none() {
            return Err(AppError::unprocessable(
                "invalid_field",
                format!(
                    "vehicle {v:?} is not known; give one of {}",
                    Vehicle::choices()
                ),
            ));
        }
    }
    let now = now();
    let req = NewShipment {
        id: client_id("id", b.id.as_deref())?,
        from_site_id: b.from_site_id,
        to_site_id: b.to_site_id,
        codes: b.codes,
        departed_at: time_or_now("departed_at", b.departed_at.as_deref(), now)?,
        // Checked with the shipment, on every path that makes one.
        distance_km: b.distance_km,
        vehicle: b.vehicle,
        detour_factor: state.config.detour_factor,
    };
    let report = record(&state, &authed.actor, now, move |conn, rec| {
        shipments::create(conn, rec, &req)?.map_err(refused)
    })
    .await?;
    Ok(HttpResponse::Created().json(ShipmentView::new(report, &super::links(&state).await?)))
}

/// One shipment, with the codes still in transit on it.
#[utoipa::path(get, path = "/api/v1/shipments/{id}", operation_id = "getShipment", tag = "shipments",
    params(("id" = String, Path, description = "The shipment's id.")),
    responses(
        (status = 200, description = "The shipment.", body = ShipmentView),
        (status = 403, description = "`forbidden`: the shipment neither leaves from nor goes to the user's site.", body = ErrorView),
        (status = 404, description = "`not_found`: no shipment has this id.", body = ErrorView),
    ))]
pub async fn get(
    state: State,
    authed: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = authed.actor.clone();
    let report = read(&state, move |conn| {
        let shipment = shipments::find(conn, &id)?
            .ok_or_else(|| AppError::not_found(format!("no shipment has the id {id}")))?;
        if !actor.may_act_at(&shipment.from_site_id) && !actor.may_act_at(&shipment.to_site_id) {
            return Err(AppError::forbidden(
                "this shipment neither leaves from nor goes to your site",
            ));
        }
        Ok(shipments::summary(conn, shipment)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ShipmentView::new(report, &super::links(&state).await?)))
}

#[derive(Deserialize, ToSchema)]
pub struct ReceiveBody {
    /// RFC 3339; now when absent.
    at: Option<String>,
    /// The containers that arrived; all still on board when absent.
    codes: Option<Vec<String>>,
}

/// Receives a shipment at its destination, whole or in part; the body may be left out.
#[utoipa::path(post, path = "/api/v1/shipments/{id}/receive", operation_id = "receiveShipment", tag = "shipments",
    params(("id" = String, Path, description = "The shipment's id.")),
    request_body(content = Option<ReceiveBody>),
    responses(
        (status = 200, description = "The shipment, with one result per code received.", body = ShipmentView),
        (status = 403, description = "`forbidden`: only the destination receives a shipment.", body = ErrorView),
        (status = 404, description = "`not_found`: no shipment has this id.", body = ErrorView),
        (status = 422, description = "`batch_too_large`, `future_time`, `invalid_field`.", body = ErrorView),
    ))]
pub async fn receive(
    state: State,
    authed: Authed,
    path: web::Path<String>,
    body: Option<web::Json<ReceiveBody>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let b = body.map(web::Json::into_inner).unwrap_or(ReceiveBody {
        at: None,
        codes: None,
    });
    if let Some(codes) = &b.codes {
        check_codes(codes)?;
    }
    let now = now();
    let at = time_or_now("at", b.at.as_deref(), now)?;
    let report = record(&state, &authed.actor, now, move |conn, rec| {
        let shipment = shipments::find(conn, &id)?
            .ok_or_else(|| AppError::not_found(format!("no shipment has the id {id}")))?;
        shipments::receive(conn, rec, shipment, at, b.codes)?.map_err(refused)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ShipmentView::new(report, &super::links(&state).await?)))
}
