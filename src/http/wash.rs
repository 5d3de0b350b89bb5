//! Wash batches at a washer.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Authed;
use super::shipments::check_codes;
use super::views::{BatchView, ErrorView};
use super::{check_number, client_id, read, record, refused, time_or_now, State};
use crate::db::catalog::now;
use crate::db::wash::{self, BatchReport, Completion, NewBatch};
use crate::domain::bounds;
use crate::domain::roles::Role;
use crate::domain::state::REJECT_REWASH;
use crate::error::AppError;

#[derive(Deserialize, ToSchema)]
pub struct BatchBody {
    /// A UUID made by the client, so that a batch sent twice is opened once.
    id: Option<String>,
    /// The washer.
    site_id: String,
    /// The dirty containers loaded, 1 to 10,000.
    codes: Vec<String>,
    /// RFC 3339; now when absent.
    started_at: Option<String>,
    program: Option<String>,
    temperature_c: Option<f64>,
}

fn washer(authed: &Authed) -> Result<(), AppError> {
    if !matches!(authed.actor.role, Role::Washer) && !authed.actor.role.manages_loop() {
        return Err(AppError::forbidden(format!(
            "only washers run wash batches; you are signed in as {}",
            authed.actor.role.as_str()
        )));
    }
    Ok(())
}

/// Loads dirty containers into a wash batch at a washer (washers, coordinators).
#[utoipa::path(post, path = "/api/v1/wash-batches", operation_id = "openWashBatch", tag = "wash",
    request_body = BatchBody,
    responses(
        (status = 201, description = "The batch, with one result per code.", body = BatchView),
        (status = 403, description = "`forbidden`: only washers run batches, at their own site.", body = ErrorView),
        (status = 409, description = "`conflict`: the id names another batch.", body = ErrorView),
        (status = 422, description = "`batch_too_large`, `unknown_site`, `wrong_site_kind` (not a washer), `future_time`, `invalid_field`.", body = ErrorView),
    ))]
pub async fn open(
    state: State,
    authed: Authed,
    body: web::Json<BatchBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    washer(&authed)?;
    check_codes(&b.codes)?;
    let now = now();
    let req = NewBatch {
        id: client_id("id", b.id.as_deref())?,
        site_id: b.site_id,
        codes: b.codes,
        started_at: time_or_now("started_at", b.started_at.as_deref(), now)?,
        program: b.program,
        temperature_c: b
            .temperature_c
            .map(|t| check_number("temperature_c", t, &bounds::TEMPERATURE_C))
            .transpose()?,
    };
    let report = record(&state, &authed.actor, now, move |conn, rec| {
        wash::open(conn, rec, &req)?.map_err(refused)
    })
    .await?;
    Ok(HttpResponse::Created().json(BatchView::new(report, &super::links(&state).await?)))
}

/// One wash batch.
#[utoipa::path(get, path = "/api/v1/wash-batches/{id}", operation_id = "getWashBatch", tag = "wash",
    params(("id" = String, Path, description = "The batch's id.")),
    responses(
        (status = 200, description = "The batch (its `results` are empty).", body = BatchView),
        (status = 403, description = "`forbidden`: the batch runs at another site.", body = ErrorView),
        (status = 404, description = "`not_found`: no batch has this id.", body = ErrorView),
    ))]
pub async fn get(
    state: State,
    authed: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = authed.actor.clone();
    let batch = read(&state, move |conn| {
        let batch = wash::find(conn, &id)?
            .ok_or_else(|| AppError::not_found(format!("no wash batch has the id {id}")))?;
        if !actor.may_act_at(&batch.site_id) {
            return Err(AppError::forbidden("this wash batch runs at another site"));
        }
        Ok(batch)
    })
    .await?;
    Ok(HttpResponse::Ok().json(BatchView::new(
        BatchReport {
            batch,
            results: vec![],
        },
        &super::links(&state).await?,
    )))
}

#[derive(Deserialize, ToSchema)]
pub struct RejectBody {
    code: String,
    /// `broken` (the container is retired) or `rewash` (back to dirty at the washer).
    reason: String,
}

#[derive(Deserialize, ToSchema)]
pub struct CompleteBody {
    /// RFC 3339; now when absent.
    finished_at: Option<String>,
    #[serde(default)]
    rejected: Vec<RejectBody>,
    water_l: Option<f64>,
    energy_kwh: Option<f64>,
}

/// Ends a wash batch: the containers not rejected come out clean. Sent again, it changes
/// nothing and answers the batch.
#[utoipa::path(post, path = "/api/v1/wash-batches/{id}/complete", operation_id = "completeWashBatch", tag = "wash",
    params(("id" = String, Path, description = "The batch's id.")),
    request_body = CompleteBody,
    responses(
        (status = 200, description = "The batch, with one result per container.", body = BatchView),
        (status = 403, description = "`forbidden`: only washers complete batches, at their own site.", body = ErrorView),
        (status = 404, description = "`not_found`: no batch has this id.", body = ErrorView),
        (status = 422, description = "`invalid_field` (an unknown reject reason, a finish before the start, a negative quantity), `future_time`.", body = ErrorView),
    ))]
pub async fn complete(
    state: State,
    authed: Authed,
    path: web::Path<String>,
    body: web::Json<CompleteBody>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let b = body.into_inner();
    if b.rejected.len() > super::shipments::MAX_CODES {
        return Err(AppError::unprocessable(
            "batch_too_large",
            format!(
                "{} rejects in one request; at most {}",
                b.rejected.len(),
                super::shipments::MAX_CODES
            ),
        ));
    }
    let mut rejected = Vec::with_capacity(b.rejected.len());
    for r in b.rejected {
        if r.reason != "broken" && r.reason != REJECT_REWASH {
            return Err(AppError::unprocessable(
                "invalid_field",
                format!("reject reason {:?} for {} is not known; give broken (it is retired) or rewash (it goes back to dirty)", r.reason, r.code),
            ));
        }
        rejected.push((r.code, r.reason));
    }
    let now = now();
    let done = Completion {
        finished_at: time_or_now("finished_at", b.finished_at.as_deref(), now)?,
        rejected,
        water_l: b
            .water_l
            .map(|w| check_number("water_l", w, &bounds::WATER_L))
            .transpose()?,
        energy_kwh: b
            .energy_kwh
            .map(|e| check_number("energy_kwh", e, &bounds::ENERGY_KWH))
            .transpose()?,
    };
    washer(&authed)?;
    let config = state.config.clone();
    let report = record(&state, &authed.actor, now, move |conn, rec| {
        let batch = wash::find(conn, &id)?
            .ok_or_else(|| AppError::not_found(format!("no wash batch has the id {id}")))?;
        let was_open = batch.finished_at.is_none();
        let report = wash::complete(conn, rec, batch, &done)?.map_err(refused)?;
        if was_open {
            crate::mail::operations::check_batch(conn, &config, &report.batch, now)?;
        }
        Ok(report)
    })
    .await?;
    Ok(HttpResponse::Ok().json(BatchView::new(report, &super::links(&state).await?)))
}
