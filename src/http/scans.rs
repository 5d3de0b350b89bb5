//! `POST /scans`: up to 1,000 scans, one outcome each, in one transaction.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::ToSchema;

use super::auth::Authed;
use super::views::{results, ErrorView, ScanResultView, ScanResults};
use super::{client_id, parse_time, record, State};
use crate::db::catalog::now;
use crate::db::scans::{EventRequest, Outcome, Rejection};
use crate::domain::state::{Action, RetiredReason};
use crate::error::AppError;

pub const MAX_SCANS: usize = 1_000;
/// The actions a device may scan; the others happen through shipments and wash batches.
const SCANNABLE: &[Action] = &[
    Action::Fill,
    Action::Sell,
    Action::Return,
    Action::Break,
    Action::Lose,
    Action::Retire,
];

/// The actions a scan may carry, for the API's document.
fn scannable() -> utoipa::openapi::schema::Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(SCANNABLE.iter().map(|a| a.as_str())))
        .build()
}

#[derive(Deserialize, ToSchema)]
pub struct Scan {
    /// A UUID made by the device, so that a scan sent twice (offline queues) is recorded
    /// once.
    id: Option<String>,
    /// A short code, a `/c/` URL, a GS1 Digital Link URI or a GRAI element string.
    code: String,
    #[schema(schema_with = scannable)]
    action: String,
    site_id: String,
    /// RFC 3339; now when absent.
    at: Option<String>,
    /// Only to retire: `broken`, `lost` or `end_of_life`.
    reason: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct ScanBatch {
    /// Up to 1,000.
    scans: Vec<Scan>,
}

/// Records scans, each on its own: a refused scan does not stop the others.
#[utoipa::path(post, path = "/api/v1/scans", operation_id = "recordScans", tag = "scans",
    request_body = ScanBatch,
    responses(
        (status = 200, description = "One result per scan, in order; a refused scan has `status: rejected` and an `error` (`unknown_code`, `invalid_transition`, `forbidden_site`...).", body = ScanResults),
        (status = 422, description = "`batch_too_large`: more than 1,000 scans.", body = ErrorView),
    ))]
pub async fn create(
    state: State,
    authed: Authed,
    body: web::Json<ScanBatch>,
) -> Result<HttpResponse, AppError> {
    let scans = body.into_inner().scans;
    if scans.len() > MAX_SCANS {
        return Err(AppError::unprocessable(
            "batch_too_large",
            format!("{} scans in one request; send at most {MAX_SCANS} and the rest in further requests", scans.len()),
        ));
    }
    let now = now();
    // Check what can be checked without the database; a bad scan is refused alone.
    let checked: Vec<Result<EventRequest, Box<Outcome>>> = scans
        .into_iter()
        .map(|s| {
            let id =
                s.id.clone()
                    .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
            let code = s.code.clone();
            check(s, now).map_err(|why| Box::new(Outcome::rejected(id, code, why, None)))
        })
        .collect();
    let outcomes = record(&state, &authed.actor, now, move |conn, rec| {
        let mut out = Vec::with_capacity(checked.len());
        for item in checked {
            out.push(match item {
                Ok(req) => rec.record(conn, &req)?,
                Err(refused) => *refused,
            });
        }
        Ok(out)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ScanResults {
        results: results(outcomes, &super::links(&state).await?),
    }))
}

fn check(s: Scan, now: chrono::NaiveDateTime) -> Result<EventRequest, Rejection> {
    let refuse = Rejection::new;
    let id = client_id("id", s.id.as_deref()).map_err(|e| refuse("invalid_id", e.to_string()))?;
    let action = Action::parse(&s.action)
        .filter(|a| SCANNABLE.contains(a))
        .ok_or_else(|| {
            let names: Vec<&str> = SCANNABLE.iter().map(|a| a.as_str()).collect();
            refuse(
                "invalid_action",
                format!(
                    "action {:?} cannot be scanned; give one of {}",
                    s.action,
                    names.join(", ")
                ),
            )
        })?;
    let at = match &s.at {
        Some(text) => parse_time("at", text).map_err(|e| refuse("invalid_time", e.to_string()))?,
        None => now,
    };
    let reason = match (action, s.reason.as_deref()) {
        (Action::Break, None | Some("broken")) => Some("broken"),
        (Action::Lose, None | Some("lost")) => Some("lost"),
        (Action::Retire, None) => Some("end_of_life"),
        (Action::Retire, Some(r)) if RetiredReason::parse(r).is_some() => Some(r),
        (Action::Retire, Some(r)) => {
            return Err(refuse(
                "invalid_reason",
                format!(
                    "reason {r:?} is not a retirement reason; give one of {}",
                    RetiredReason::choices()
                ),
            ))
        }
        (_, None) => None,
        (_, Some(r)) => {
            return Err(refuse(
                "invalid_reason",
                format!("reason {r:?} does not go with {action}; a reason is given only to retire"),
            ))
        }
    };
    Ok(EventRequest {
        id,
        code: s.code,
        action,
        site_id: s.site_id,
        to_site_id: None,
        at,
        shipment_id: None,
        batch_id: None,
        reason: reason.map(str::to_owned),
    })
}

/// Undoes a fill, sale or return scanned by mistake: an `undo` event names it and the
/// container goes back to where it was; nothing is deleted. Only when nothing was recorded
/// on the container since, by a user of the scan's site (or a coordinator).
#[utoipa::path(post, path = "/api/v1/scans/{id}/undo", operation_id = "undoScan", tag = "scans",
    params(("id" = String, Path, description = "The id of the scan to undo (the `id` of its result).")),
    responses(
        (status = 200, description = "`recorded`: undone now, with the container as it is again; `duplicate`: undone before.", body = ScanResultView),
        (status = 403, description = "`forbidden_site`: the scan was made at another site.", body = ErrorView),
        (status = 404, description = "`not_found`: no scan has this id.", body = ErrorView),
        (status = 409, description = "`not_undoable`: not a fill, sale or return, or something was recorded on the container since.", body = ErrorView),
    ))]
pub async fn undo(
    state: State,
    authed: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = authed.actor.clone();
    let o = record(&state, &authed.actor, now(), move |conn, rec| {
        Ok(crate::db::undo::undo(conn, rec, &id, &actor)?)
    })
    .await?;
    if let Some(e) = o.error {
        use actix_web::http::StatusCode;
        let status = match e.code {
            "not_found" => StatusCode::NOT_FOUND,
            "forbidden_site" => StatusCode::FORBIDDEN,
            _ => StatusCode::CONFLICT,
        };
        return Err(AppError::new(status, e.code, e.message));
    }
    Ok(HttpResponse::Ok().json(ScanResultView::new(o, &super::links(&state).await?)))
}
