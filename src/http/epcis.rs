//! `GET /epcis/events`: the loop's events as an EPCIS 2.0 document.

use std::collections::BTreeSet;

use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime, SecondsFormat};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::auth::Authed;
use super::reports::{period, scoped_site};
use super::views::{ErrorView, ScanResultView, ScanStatus};
use super::{links, read, State};
use crate::db::epcis::events_between;
use crate::domain::state::Action;
use crate::error::AppError;
use crate::interop::epcis::{document, object_event, Fact, SiteData};

/// The most events one export gives; a longer period is asked for in parts.
pub const MAX_EVENTS: i64 = 100_000;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// The first day, `YYYY-MM-DD`, from 00:00 UTC.
    #[param(required = true, value_type = String)]
    from: Option<String>,
    /// The day after the last, `YYYY-MM-DD`: excluded.
    #[param(required = true, value_type = String)]
    to: Option<String>,
    /// One site's events; site-bound users get their own site's.
    site_id: Option<String>,
}

fn rfc3339(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The period's events as an EPCIS 2.0 JSON-LD document: one ObjectEvent per event, with
/// CBV 2.0 business steps and dispositions, Boucle's own vocabulary declared in the
/// `@context`, and event ids that stay the same between exports.
#[utoipa::path(get, path = "/api/v1/epcis/events", operation_id = "exportEpcisEvents", tag = "interop",
    params(ExportQuery),
    responses(
        (status = 200, description = "An EPCISDocument, valid against the EPCIS 2.0 JSON schema (docs/INTEROP.md).", content_type = "application/ld+json", body = serde_json::Value),
        (status = 403, description = "`forbidden`: the site asked for is not the user's.", body = ErrorView),
        (status = 422, description = "`invalid_query`: the period holds more than 100,000 events; export shorter periods.", body = ErrorView),
    ))]
pub async fn export(
    state: State,
    authed: Authed,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let (from, to) = period(q.from.as_deref(), q.to.as_deref())?;
    let site = scoped_site(&authed, q.site_id)?;
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default();
    let (start, end) = (midnight(from), midnight(to));
    let (rows, sites) = read(&state, move |conn| {
        Ok((
            events_between(conn, start, end, site.as_deref(), MAX_EVENTS + 1)?,
            crate::db::catalog::list_sites(conn)?,
        ))
    })
    .await?;
    if rows.len() as i64 > MAX_EVENTS {
        return Err(AppError::unprocessable(
            "invalid_query",
            format!(
                "from {from} to {to} holds more than {MAX_EVENTS} events; export shorter periods"
            ),
        ));
    }
    let links = links(&state).await?;
    let mut named = BTreeSet::new();
    let mut events = Vec::with_capacity(rows.len());
    for r in &rows {
        let e = &r.event;
        let action = Action::parse(&e.action).ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "event {} has an unknown action {}",
                e.id,
                e.action
            ))
        })?;
        let epc = match links.grai(&r.type_id, &r.code) {
            Some(g) => g.epc_uri(),
            None => format!("{}/c/{}", links.base_url, r.code),
        };
        let (at, recorded_at) = (rfc3339(e.at), rfc3339(e.recorded_at));
        named.extend(
            [
                Some(&e.site_id),
                e.to_site_id.as_ref(),
                r.shipment_from.as_ref(),
            ]
            .into_iter()
            .flatten()
            .cloned(),
        );
        events.push(object_event(&Fact {
            event_id: &e.id,
            epc,
            action,
            reason: e.reason.as_deref(),
            site_id: &e.site_id,
            to_site_id: e.to_site_id.as_deref(),
            from_site_id: r.shipment_from.as_deref(),
            at: &at,
            recorded_at: &recorded_at,
            shipment_id: e.shipment_id.as_deref(),
            batch_id: e.batch_id.as_deref(),
            type_id: Some(&r.type_id),
            vehicle: r.vehicle.as_deref(),
            distance_km: r.distance_km,
        }));
    }
    let site_data: Vec<SiteData> = sites
        .iter()
        .filter(|s| named.contains(&s.id))
        .map(|s| SiteData {
            id: &s.id,
            name: &s.name,
            kind: &s.kind,
            lat: s.lat,
            lon: s.lon,
        })
        .collect();
    let created = rfc3339(crate::db::catalog::now());
    let doc = document(events, &site_data, &created, &state.config.base_url);
    Ok(HttpResponse::Ok()
        .content_type("application/ld+json")
        .json(doc))
}

/// The most events one capture takes.
pub const MAX_CAPTURE: usize = 10_000;

/// What became of one captured event.
#[derive(serde::Serialize, ToSchema)]
pub struct CapturedView {
    #[serde(rename = "eventID")]
    event_id: String,
    /// `rejected` when the event or one of its containers was refused, `duplicate` when
    /// every container's step was recorded before.
    status: ScanStatus,
    /// Why the event as a whole was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorView>,
    /// One result per container of the event.
    containers: Vec<ScanResultView>,
}

/// One result per captured event, in order.
#[derive(serde::Serialize, ToSchema)]
pub struct CaptureResults {
    results: Vec<CapturedView>,
}

fn bad_document(message: impl Into<String>) -> AppError {
    AppError::bad_request("invalid_body", message)
}

/// `POST /epcis/capture`: an EPCIS 2.0 document (JSON or JSON-LD) whose ObjectEvents are
/// recorded as scans, idempotently by event id, with one result per event.
#[utoipa::path(post, path = "/api/v1/epcis/capture", operation_id = "captureEpcisEvents", tag = "interop",
    request_body(content = serde_json::Value, description = "An EPCISDocument of up to 10,000 ObjectEvents (docs/INTEROP.md).", content_type = "application/json"),
    responses(
        (status = 200, description = "One result per event; a refused event has `status: rejected` and an `error` (`invalid_event`, `unsupported_event`, `unknown_step`, `forbidden_site`, `invalid_time`...).", body = CaptureResults),
        (status = 422, description = "`batch_too_large`: more than 10,000 events.", body = ErrorView),
    ))]
pub async fn capture(
    state: State,
    authed: Authed,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    use crate::interop::capture::{capture, Captured};
    use crate::interop::epcis_read::read_event;
    let doc: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| bad_document(format!("the body is not JSON: {e}")))?;
    if doc.get("type").and_then(|t| t.as_str()) != Some("EPCISDocument") {
        return Err(bad_document(
            "the body is not an EPCIS document: give {\"type\": \"EPCISDocument\", \"epcisBody\": {\"eventList\": [...]}, ...}",
        ));
    }
    let events = doc
        .pointer("/epcisBody/eventList")
        .and_then(|l| l.as_array())
        .ok_or_else(|| bad_document("the document has no epcisBody.eventList"))?
        .clone();
    if events.len() > MAX_CAPTURE {
        return Err(AppError::unprocessable(
            "batch_too_large",
            format!(
                "{} events in one document; send at most {MAX_CAPTURE} a request",
                events.len()
            ),
        ));
    }
    // One request names at most as many containers as a shipment takes, all its events
    // together, so that no document holds the writer while the tills wait (rule 5).
    let named: usize = events
        .iter()
        .filter_map(|e| e.get("epcList").and_then(|l| l.as_array()))
        .map(Vec::len)
        .sum();
    if named > super::shipments::MAX_CODES {
        return Err(AppError::unprocessable(
            "batch_too_large",
            format!(
                "the document names {named} containers; send at most {} a request, all events together",
                super::shipments::MAX_CODES
            ),
        ));
    }
    let now = crate::db::catalog::now();
    let detour = state.config.detour_factor;
    let captured = super::record(&state, &authed.actor, now, move |conn, rec| {
        let mut out = Vec::with_capacity(events.len());
        for raw in &events {
            let id = raw
                .get("eventID")
                .and_then(|v| v.as_str())
                .unwrap_or("(no eventID)")
                .to_owned();
            let refused = |code, message: String| {
                Captured::refused(id.clone(), crate::db::scans::Rejection::new(code, message))
            };
            let e = match read_event(raw) {
                Ok(e) => e,
                Err((code, message)) => {
                    out.push(refused(code, message));
                    continue;
                }
            };
            let at = match super::parse_time("eventTime", &e.at) {
                Ok(at) => at,
                Err(err) => {
                    out.push(refused("invalid_time", format!("{}: {err}", e.event_id)));
                    continue;
                }
            };
            out.push(capture(conn, rec, &e, at, detour)?);
        }
        Ok(out)
    })
    .await?;
    let links = links(&state).await?;
    let results: Vec<CapturedView> = captured
        .into_iter()
        .map(|c| {
            let status = match (
                &c.error,
                c.outcomes.iter().map(|o| o.status).collect::<Vec<_>>(),
            ) {
                (Some(_), _) => ScanStatus::Rejected,
                (None, s) if s.contains(&crate::db::scans::Status::Rejected) => {
                    ScanStatus::Rejected
                }
                (None, s) if s.iter().all(|x| *x == crate::db::scans::Status::Duplicate) => {
                    ScanStatus::Duplicate
                }
                _ => ScanStatus::Recorded,
            };
            CapturedView {
                event_id: c.event_id,
                status,
                error: c.error.map(|r| ErrorView {
                    error: r.code.to_owned(),
                    message: r.message,
                }),
                containers: super::views::results(c.outcomes, &links),
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(CaptureResults { results }))
}
