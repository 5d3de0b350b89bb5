//! Alerts' thresholds and each user's mail choices.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Authed;
use super::views::ErrorView;
use super::{read, write, State};
use crate::db::catalog::{find_site, find_type, now};
use crate::domain::state::SiteKind;
use crate::error::AppError;
use crate::mail::alerts::Alert;
use crate::mail::prefs::Prefs;
use crate::mail::thresholds::{Collection, LowStock};
use crate::mail::{alerts, prefs, thresholds, Kind, Lang};

fn invalid(message: String) -> AppError {
    AppError::unprocessable("invalid_field", message)
}

#[derive(Deserialize, ToSchema)]
pub struct LowStockBody {
    /// A producer, company or hub.
    site_id: String,
    type_id: String,
    /// Below this many clean containers, here and inbound, the site's users are told; 0
    /// removes the threshold.
    min_clean: i64,
}

/// A low-stock threshold and where the site stands.
#[derive(Serialize, ToSchema)]
pub struct LowStockView {
    site_id: String,
    type_id: String,
    min_clean: i64,
    /// Clean containers of the type at the site plus those on their way to it.
    clean_and_inbound: i64,
    /// True when `clean_and_inbound` is below `min_clean`: an alert is in force.
    low: bool,
}

/// `PUT /alerts/low-stock`: a producer's threshold of clean plus inbound containers of a type.
#[utoipa::path(put, path = "/api/v1/alerts/low-stock", operation_id = "putLowStockThreshold", tag = "alerts",
    request_body = LowStockBody,
    responses(
        (status = 200, description = "The threshold as saved, and the stock now.", body = LowStockView),
        (status = 403, description = "`forbidden`: the site is not the user's.", body = ErrorView),
        (status = 422, description = "`invalid_field`: a negative threshold, an unknown site or type, a site that does not fill containers.", body = ErrorView),
    ))]
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
        Ok(LowStockView {
            site_id: b.site_id,
            type_id: b.type_id,
            min_clean: b.min_clean,
            clean_and_inbound: have,
            low: have < b.min_clean,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(answer))
}

#[derive(Deserialize, ToSchema)]
pub struct CollectionBody {
    /// A shop.
    site_id: String,
    /// A collection is needed from this many dirty containers; null: the loop's default.
    min_dirty: Option<i64>,
    /// ... or when the oldest dirty container has waited this many days; null: the loop's
    /// default.
    max_wait_days: Option<f64>,
}

/// A shop's own collection thresholds.
#[derive(Serialize, ToSchema)]
pub struct OwnCollection {
    min_dirty: Option<i64>,
    max_wait_days: Option<f64>,
}

/// The collection thresholds in force at a shop.
#[derive(Serialize, ToSchema)]
pub struct CollectionView {
    site_id: String,
    /// In force: the shop's own, else the loop's default.
    min_dirty: i64,
    max_wait_days: f64,
    /// As set for the shop (null: the default).
    own: OwnCollection,
}

/// `PUT /alerts/collection`: a shop's own thresholds; a field left out or null takes the
/// loop's default.
#[utoipa::path(put, path = "/api/v1/alerts/collection", operation_id = "putCollectionThresholds", tag = "alerts",
    request_body = CollectionBody,
    responses(
        (status = 200, description = "The thresholds in force at the shop.", body = CollectionView),
        (status = 403, description = "`forbidden`: only coordinators set collection thresholds.", body = ErrorView),
        (status = 422, description = "`invalid_field`: out of range, an unknown site, a site that is not a shop.", body = ErrorView),
    ))]
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
        Ok(CollectionView {
            site_id: site.id,
            min_dirty,
            max_wait_days,
            own: OwnCollection {
                min_dirty: b.min_dirty,
                max_wait_days: b.max_wait_days,
            },
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// The loop's default collection thresholds, and each shop's own.
#[derive(Serialize, ToSchema)]
pub struct CollectionThresholds {
    defaults: OwnCollection,
    shops: Vec<Collection>,
}

/// The alerts in force and the thresholds that raise them.
#[derive(Serialize, ToSchema)]
pub struct AlertsView {
    in_force: Vec<Alert>,
    low_stock: Vec<LowStock>,
    collection: CollectionThresholds,
    /// A shipment not received this many hours after it left is overdue.
    shipment_overdue_hours: f64,
    /// A wash batch rejecting more than this share of its containers is told.
    wash_reject_share: f64,
}

/// `GET /alerts`: the alerts in force (of one's own site for site-bound users) and every
/// threshold.
#[utoipa::path(get, path = "/api/v1/alerts", operation_id = "listAlerts", tag = "alerts",
    responses((status = 200, description = "Alerts in force and thresholds.", body = AlertsView)))]
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
    Ok(HttpResponse::Ok().json(AlertsView {
        in_force,
        low_stock: low
            .into_iter()
            .filter(|t| mine(&Some(t.site_id.clone())))
            .collect(),
        collection: CollectionThresholds {
            defaults: OwnCollection {
                min_dirty: Some(m.collect_min_dirty),
                max_wait_days: Some(m.collect_max_days),
            },
            shops: collection,
        },
        shipment_overdue_hours: m.shipment_overdue_hours,
        wash_reject_share: m.reject_share,
    }))
}

/// `GET /me/notifications`: the signed-in user's language and the mails they receive.
#[utoipa::path(get, path = "/api/v1/me/notifications", operation_id = "getMyNotifications", tag = "alerts",
    responses((status = 200, description = "The user's choices.", body = Prefs)))]
pub async fn get_prefs(state: State, authed: Authed) -> Result<HttpResponse, AppError> {
    let user = authed.actor.user_id.clone();
    let p = read(&state, move |conn| Ok(prefs::get(conn, &user)?)).await?;
    Ok(HttpResponse::Ok().json(p))
}

#[derive(Deserialize, ToSchema)]
pub struct PrefsBody {
    /// `fr` or `en`.
    language: Option<String>,
    /// Kinds of mail (`low_stock`, `digest_weekly`...) to turn on (true) or off (false).
    #[serde(default)]
    mails: BTreeMap<String, bool>,
}

/// `PUT /me/notifications {language?, mails?: {kind: bool}}`: kinds not named stay as they are.
#[utoipa::path(put, path = "/api/v1/me/notifications", operation_id = "putMyNotifications", tag = "alerts",
    request_body = PrefsBody,
    responses(
        (status = 200, description = "The user's choices as saved.", body = Prefs),
        (status = 422, description = "`invalid_field`: an unknown language or kind of mail.", body = ErrorView),
    ))]
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
