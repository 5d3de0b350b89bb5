//! Shipments between sites, and their receipt.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::auth::Authed;
use super::views::ShipmentView;
use super::{check_number, client_id, read, record, refused, time_or_now, State};
use crate::db::catalog::now;
use crate::db::shipments::{self, NewShipment};
use crate::error::AppError;

/// The most containers on one shipment.
pub const MAX_CODES: usize = 10_000;
const VEHICLES: &[&str] = &["van", "truck", "car", "cargo_bike", "other"];

#[derive(Deserialize)]
pub struct ShipmentBody {
    id: Option<String>,
    from_site_id: String,
    to_site_id: String,
    codes: Vec<String>,
    departed_at: Option<String>,
    distance_km: Option<f64>,
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

pub async fn create(
    state: State,
    authed: Authed,
    body: web::Json<ShipmentBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    authed.at_site(&b.from_site_id)?;
    check_codes(&b.codes)?;
    if b.codes.is_empty() {
        return Err(AppError::unprocessable(
            "invalid_field",
            "codes is empty: list the codes of the containers on board",
        ));
    }
    if let Some(v) = &b.vehicle {
        if !VEHICLES.contains(&v.as_str()) {
            return Err(AppError::unprocessable(
                "invalid_field",
                format!(
                    "vehicle {v:?} is not known; give one of {}",
                    VEHICLES.join(", ")
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
        distance_km: b
            .distance_km
            .map(|d| check_number("distance_km", d, 0.0))
            .transpose()?,
        vehicle: b.vehicle,
        detour_factor: state.config.detour_factor,
    };
    let report = record(&state, &authed.actor.user_id, now, move |conn, rec| {
        shipments::create(conn, rec, &req)?.map_err(refused)
    })
    .await?;
    Ok(HttpResponse::Created().json(ShipmentView::new(report, &super::links(&state).await?)))
}

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

#[derive(Deserialize)]
pub struct ReceiveBody {
    at: Option<String>,
    codes: Option<Vec<String>>,
}

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
    let actor = authed.actor.clone();
    let report = record(&state, &authed.actor.user_id, now, move |conn, rec| {
        let shipment = shipments::find(conn, &id)?
            .ok_or_else(|| AppError::not_found(format!("no shipment has the id {id}")))?;
        if !actor.may_act_at(&shipment.to_site_id) {
            return Err(AppError::forbidden(
                "only the destination of a shipment receives it",
            ));
        }
        shipments::receive(conn, rec, shipment, at, b.codes)?.map_err(refused)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ShipmentView::new(report, &super::links(&state).await?)))
}
