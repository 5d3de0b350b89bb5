//! Wash batches at a washer.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::auth::Authed;
use super::shipments::check_codes;
use super::views::BatchView;
use super::{check_number, client_id, read, record, refused, time_or_now, State};
use crate::db::catalog::now;
use crate::db::wash::{self, BatchReport, Completion, NewBatch};
use crate::domain::roles::Role;
use crate::domain::state::REJECT_REWASH;
use crate::error::AppError;

#[derive(Deserialize)]
pub struct BatchBody {
    id: Option<String>,
    site_id: String,
    codes: Vec<String>,
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

pub async fn open(
    state: State,
    authed: Authed,
    body: web::Json<BatchBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    washer(&authed)?;
    authed.at_site(&b.site_id)?;
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
            .map(|t| check_number("temperature_c", t, -50.0))
            .transpose()?,
    };
    let report = record(&state, &authed.actor.user_id, now, move |conn, rec| {
        wash::open(conn, rec, &req)?.map_err(refused)
    })
    .await?;
    Ok(HttpResponse::Created().json(BatchView::new(report, &super::links(&state).await?)))
}

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

#[derive(Deserialize)]
pub struct RejectBody {
    code: String,
    reason: String,
}

#[derive(Deserialize)]
pub struct CompleteBody {
    finished_at: Option<String>,
    #[serde(default)]
    rejected: Vec<RejectBody>,
    water_l: Option<f64>,
    energy_kwh: Option<f64>,
}

pub async fn complete(
    state: State,
    authed: Authed,
    path: web::Path<String>,
    body: web::Json<CompleteBody>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let b = body.into_inner();
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
            .map(|w| check_number("water_l", w, 0.0))
            .transpose()?,
        energy_kwh: b
            .energy_kwh
            .map(|e| check_number("energy_kwh", e, 0.0))
            .transpose()?,
    };
    let actor = authed.actor.clone();
    washer(&authed)?;
    let config = state.config.clone();
    let report = record(&state, &authed.actor.user_id, now, move |conn, rec| {
        let batch = wash::find(conn, &id)?
            .ok_or_else(|| AppError::not_found(format!("no wash batch has the id {id}")))?;
        if !actor.may_act_at(&batch.site_id) {
            return Err(AppError::forbidden("this wash batch runs at another site"));
        }
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
