//! Alerts' thresholds, each user's mail choices, the outbox for coordinators, and the
//! unsubscribe page every mail links to.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::auth::Authed;
use super::{read, write, State};
use crate::db::catalog::{find_site, find_type, now};
use crate::domain::state::SiteKind;
use crate::error::AppError;
use crate::mail::outbox::{self, OutboxRow, STATUSES};
use crate::mail::{alerts, prefs, thresholds, Kind, Lang};

fn invalid(message: String) -> AppError {
    AppError::unprocessable("invalid_field", message)
}

#[derive(Deserialize)]
pub struct LowStockBody {
    site_id: String,
    type_id: String,
    min_clean: i64,
}

/// `PUT /alerts/low-stock`: a producer's threshold of clean plus inbound containers of a type.
pub async fn put_low_stock(
    state: State,
    authed: Authed,
    body: web::Json<LowStockBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    authed.at_site(&b.site_id)?;
    if b.min_clean < 0 {
        return Err(invalid(format!(
            "min_clean must be 0 (no alert) or more, not {}",
            b.min_clean
        )));
    }
    let config = state.config.clone();
    let answer = write(&state, move |conn| {
        let site = find_site(conn, &b.site_id)?
            .ok_or_else(|| invalid(format!("no site has the id {}", b.site_id)))?;
        if !matches!(
            SiteKind::parse(&site.kind),
            Some(SiteKind::Producer | SiteKind::Company | SiteKind::Hub)
        ) {
            return Err(invalid(format!(
                "{} is a {}; low-stock alerts watch the sites that fill containers (producer, company, hub)",
                site.name, site.kind
            )));
        }
        find_type(conn, &b.type_id)?
            .ok_or_else(|| invalid(format!("no container type has the id {}", b.type_id)))?;
        let now = now();
        thresholds::put_low_stock(conn, &b.site_id, &b.type_id, b.min_clean, now)?;
        alerts::check_sites(conn, &config, std::slice::from_ref(&site), now)?;
        let have = alerts::clean_and_inbound(conn, &b.site_id, &b.type_id)?;
        Ok(json!({
            "site_id": b.site_id,
            "type_id": b.type_id,
            "min_clean": b.min_clean,
            "clean_and_inbound": have,
            "low": have < b.min_clean,
        }))
    })
    .await?;
    Ok(HttpResponse::Ok().json(answer))
}

#[derive(Deserialize)]
pub struct CollectionBody {
    site_id: String,
    min_dirty: Option<i64>,
    max_wait_days: Option<f64>,
}

/// `PUT /alerts/collection`: a shop's own thresholds; a field left out or null takes the
/// loop's default.
pub async fn put_collection(
    state: State,
    authed: Authed,
    body: web::Json<CollectionBody>,
) -> Result<HttpResponse, AppError> {
    authed.manager("set collection thresholds")?;
    let b = body.into_inner();
    if let Some(n) = b.min_dirty.filter(|n| *n < 1) {
        return Err(invalid(format!("min_dirty must be at least 1, not {n}")));
    }
    if let Some(d) = b.max_wait_days.filter(|d| !d.is_finite() || *d < 0.0) {
        return Err(invalid(format!(
            "max_wait_days must be a number of days of at least 0, not {d}"
        )));
    }
    let config = state.config.clone();
    let answer = write(&state, move |conn| {
        let site = find_site(conn, &b.site_id)?
            .ok_or_else(|| invalid(format!("no site has the id {}", b.site_id)))?;
        if SiteKind::parse(&site.kind) != Some(SiteKind::Shop) {
            return Err(invalid(format!(
                "{} is a {}; collection alerts watch shops",
                site.name, site.kind
            )));
        }
        let now = now();
        thresholds::put_collection(conn, &site.id, b.min_dirty, b.max_wait_days, now)?;
        alerts::check_sites(conn, &config, std::slice::from_ref(&site), now)?;
        let (min_dirty, max_wait_days) = alerts::collection_limits(conn, &config, &site.id)?;
        Ok(json!({
            "site_id": site.id,
            "min_dirty": min_dirty,
            "max_wait_days": max_wait_days,
            "own": {"min_dirty": b.min_dirty, "max_wait_days": b.max_wait_days},
        }))
    })
    .await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// `GET /alerts`: the alerts in force (of one's own site for site-bound users) and every
/// threshold.
pub async fn list_alerts(state: State, authed: Authed) -> Result<HttpResponse, AppError> {
    let actor = authed.actor.clone();
    let (in_force, low, collection) = read(&state, move |conn| {
        Ok((
            alerts::in_force(conn)?,
            thresholds::all_low_stock(conn)?,
            thresholds::all_collection(conn)?,
        ))
    })
    .await?;
    let mine = |site: &Option<String>| site.as_deref().is_some_and(|s| actor.may_act_at(s));
    let in_force: Vec<_> = in_force
        .into_iter()
        .filter(|a| mine(&a.site_id) || actor.role.manages_loop())
        .collect();
    let m = &state.config.mail;
    Ok(HttpResponse::Ok().json(json!({
        "in_force": in_force,
        "low_stock": low.into_iter().filter(|t| mine(&Some(t.site_id.clone()))).collect::<Vec<_>>(),
        "collection": {
            "defaults": {"min_dirty": m.collect_min_dirty, "max_wait_days": m.collect_max_days},
            "shops": collection,
        },
        "shipment_overdue_hours": m.shipment_overdue_hours,
        "wash_reject_share": m.reject_share,
    })))
}

/// `GET /me/notifications`.
pub async fn get_prefs(state: State, authed: Authed) -> Result<HttpResponse, AppError> {
    let user = authed.actor.user_id.clone();
    let p = read(&state, move |conn| Ok(prefs::get(conn, &user)?)).await?;
    Ok(HttpResponse::Ok().json(p))
}

#[derive(Deserialize)]
pub struct PrefsBody {
    language: Option<String>,
    #[serde(default)]
    mails: BTreeMap<String, bool>,
}

/// `PUT /me/notifications {language?, mails?: {kind: bool}}`: kinds not named stay as they are.
pub async fn put_prefs(
    state: State,
    authed: Authed,
    body: web::Json<PrefsBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let language = b
        .language
        .as_deref()
        .map(|l| {
            Lang::parse(l)
                .ok_or_else(|| invalid(format!("language {l:?} is not offered; give fr or en")))
        })
        .transpose()?;
    let mails = b
        .mails
        .iter()
        .map(|(k, on)| {
            Kind::parse(k).map(|k| (k, *on)).ok_or_else(|| {
                invalid(format!(
                    "{k:?} is not a kind of mail; give some of {}",
                    Kind::choices()
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let user = authed.actor.user_id.clone();
    let p = write(&state, move |conn| {
        Ok(prefs::set(conn, &user, language, &mails, now())?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(p))
}

#[derive(Deserialize)]
pub struct OutboxQuery {
    status: Option<String>,
    limit: Option<i64>,
}

/// A mail as coordinators see it in the outbox.
#[derive(Serialize)]
struct OutboxView {
    id: String,
    kind: String,
    to: String,
    subject: String,
    status: String,
    attempts: i64,
    last_error: Option<String>,
    created_at: String,
    next_attempt_at: Option<String>,
    sent_at: Option<String>,
    alert_id: Option<String>,
    body_text: String,
}

fn view(r: OutboxRow) -> OutboxView {
    let t = |t: chrono::NaiveDateTime| {
        t.and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    };
    OutboxView {
        next_attempt_at: (r.status == outbox::QUEUED).then(|| t(r.next_attempt_at)),
        id: r.id,
        kind: r.kind,
        to: r.recipient,
        subject: r.subject,
        status: r.status,
        attempts: r.attempts,
        last_error: r.last_error,
        created_at: t(r.created_at),
        sent_at: r.sent_at.map(t),
        alert_id: r.alert_id,
        body_text: r.body_text,
    }
}

/// `GET /outbox?status=&limit=`: mails newest first, for coordinators.
pub async fn list_outbox(
    state: State,
    authed: Authed,
    query: web::Query<OutboxQuery>,
) -> Result<HttpResponse, AppError> {
    authed.manager("read the outbox")?;
    let q = query.into_inner();
    if let Some(s) = q.status.as_deref().filter(|s| !STATUSES.contains(s)) {
        return Err(AppError::bad_request(
            "invalid_query",
            format!(
                "status={s:?} is not known; give one of {}",
                STATUSES.join(", ")
            ),
        ));
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::bad_request(
            "invalid_query",
            format!("limit={limit} is out of range; give 1 to 1000"),
        ));
    }
    let rows = read(&state, move |conn| {
        Ok(outbox::list(conn, q.status.as_deref(), limit)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(view).collect::<Vec<_>>()))
}

/// `POST /outbox/{id}/retry`: a failed mail goes back in the queue.
pub async fn retry(
    state: State,
    authed: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    authed.manager("retry mails")?;
    let id = path.into_inner();
    let row = write(&state, move |conn| {
        let row = outbox::retry(conn, &id, now())?
            .ok_or_else(|| AppError::not_found(format!("no mail has the id {id}")))?;
        if row.status != outbox::QUEUED {
            return Err(AppError::conflict(format!(
                "mail {id} is {}, not failed; only failed mails are tried again",
                row.status
            )));
        }
        Ok(row)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view(row)))
}

#[derive(Deserialize)]
pub struct UnsubscribeQuery {
    kind: Option<String>,
}

fn page(lang_fr: bool, title: &str, body: &str) -> HttpResponse {
    let lang = if lang_fr { "fr" } else { "en" };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title></head><body style=\"font-family:sans-serif;max-width:36em;margin:2em auto;padding:0 1em\"><h1>{title}</h1>{body}</body></html>"
        ))
}

fn unsubscribe_kind(q: &UnsubscribeQuery) -> Result<Option<Kind>, AppError> {
    q.kind
        .as_deref()
        .map(|k| {
            Kind::parse(k).ok_or_else(|| {
                AppError::bad_request(
                    "invalid_query",
                    format!(
                        "kind={k:?} is not a kind of mail; give one of {}",
                        Kind::choices()
                    ),
                )
            })
        })
        .transpose()
}

/// `GET /unsubscribe/{token}`: asks to confirm, so that mail scanners following links
/// unsubscribe no one.
pub async fn unsubscribe_page(
    path: web::Path<String>,
    query: web::Query<UnsubscribeQuery>,
) -> Result<HttpResponse, AppError> {
    let kind = unsubscribe_kind(&query)?;
    let action = format!(
        "/unsubscribe/{}{}",
        crate::mail::texts::escape(&path.into_inner()),
        kind.map(|k| format!("?kind={}", k.as_str()))
            .unwrap_or_default()
    );
    Ok(page(
        true,
        "Se désabonner · Unsubscribe",
        &format!("<p>Ne plus recevoir ces messages de Boucle ? · Stop receiving these mails from Boucle?</p><form method=\"post\" action=\"{action}\"><button type=\"submit\">Se désabonner · Unsubscribe</button></form>"),
    ))
}

/// `POST /unsubscribe/{token}`: the form above, and the one-click unsubscribe of RFC 8058.
pub async fn unsubscribe(
    state: State,
    path: web::Path<String>,
    query: web::Query<UnsubscribeQuery>,
) -> Result<HttpResponse, AppError> {
    let kind = unsubscribe_kind(&query)?;
    let token = path.into_inner();
    let email = write(&state, move |conn| {
        Ok(prefs::unsubscribe(conn, &token, kind, now())?)
    })
    .await?;
    let Some(email) = email else {
        return Err(AppError::not_found(
            "this unsubscribe link is not known; copy the whole link from the mail, or change your choices with PUT /api/v1/me/notifications",
        ));
    };
    let what = kind.map_or("tous les messages · all mails", Kind::as_str);
    Ok(page(
        true,
        "Désabonnement enregistré · Unsubscribed",
        &format!(
            "<p>{} ne recevra plus : {} · will no longer receive: {}.</p>",
            crate::mail::texts::escape(&email),
            crate::mail::texts::escape(what),
            crate::mail::texts::escape(what)
        ),
    ))
}
