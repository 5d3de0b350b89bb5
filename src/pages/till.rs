//! The shop's till: returns scanned with a hand scanner (the code then Enter), typed, or read
//! by the camera. With its script, each scan is queued in the browser with its own id and
//! sent at once, or when the network is back; without it, the form posts and the page
//! answers. Also: dirty containers handed to the collection (a shipment to the washer).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use maud::{html, Markup};
use serde::{Deserialize, Serialize};

use super::layout;
use super::once::{key_field, once, Done};
use super::session::Staff;
use super::work::{site_for, site_picker};
use super::{tr, words, Lang, PageError};
use crate::db::catalog::{self, now};
use crate::db::models::Site;
use crate::db::scans::{EventRequest, Outcome, Status};
use crate::db::schema::{containers, events};
use crate::db::shipments::{self, NewShipment};
use crate::domain::state::{Action, Condition, Place, SiteKind};
use crate::http::{read, record, State};

/// The shop a till user works at: their own, or for coordinators the one in `?site=`.
pub(super) async fn shop_of(
    state: &State,
    staff: &Staff,
    asked: Option<&str>,
) -> Result<Site, PageError> {
    Ok(site_for(state, staff, asked, SHOPS).await?.0)
}

const SHOPS: &[SiteKind] = &[SiteKind::Shop, SiteKind::Hub];

/// The returns this user recorded here since midnight UTC that still count (not undone),
/// newest first.
pub(super) fn returns_today(
    conn: &mut crate::db::DbConnection,
    user_id: &str,
    site_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    let midnight = now.date().and_hms_opt(0, 0, 0).unwrap_or(now);
    events::table
        .filter(events::action.eq(Action::Return.as_str()))
        .filter(events::site_id.eq(site_id))
        .filter(events::user_id.eq(user_id))
        .filter(events::recorded_at.ge(midnight))
        .filter(crate::live_events!())
        .order(events::seq.desc())
        .select(events::id)
        .load(conn)
}

/// Dirty containers at the shop, waiting for the collection.
fn dirty_here(conn: &mut crate::db::DbConnection, site_id: &str) -> QueryResult<Vec<String>> {
    containers::table
        .filter(containers::site_id.eq(site_id))
        .filter(containers::state.eq(Place::AtSite.as_str()))
        .filter(containers::condition.eq(Condition::Dirty.as_str()))
        .select(containers::code)
        .order(containers::code)
        .load(conn)
}

#[derive(Deserialize)]
pub struct TillQuery {
    site: Option<String>,
    /// The outcome of the last form post: `recorded`, `duplicate` or a refusal's code.
    last: Option<String>,
    code: Option<String>,
    shipped: Option<i64>,
}

/// `GET /shop`.
pub async fn page(
    state: State,
    staff: Staff,
    query: web::Query<TillQuery>,
) -> Result<Markup, PageError> {
    let q = query.into_inner();
    let (shop, sites) = site_for(&state, &staff, q.site.as_deref(), SHOPS).await?;
    let lang = staff.lang;
    let (user, site) = (staff.session.actor.user_id.clone(), shop.id.clone());
    let (tally, dirty, washers) = read(&state, move |conn| {
        let now = now();
        let washers: Vec<Site> = catalog::list_sites(conn)?
            .into_iter()
            .filter(|s| SiteKind::parse(&s.kind) == Some(SiteKind::Washer))
            .collect();
        Ok((
            returns_today(conn, &user, &site, now)?.len(),
            dirty_here(conn, &site)?,
            washers,
        ))
    })
    .await?;
    let last = q.last.as_deref().map(|l| {
        let code = q.code.clone().unwrap_or_default();
        match l {
            "recorded" | "duplicate" => (
                true,
                format!("{} · {code}", words::recorded(lang, l == "duplicate")),
            ),
            "undone" => (
                true,
                format!("{code} · {}", tr!(lang, "Retour annulé", "Return undone")),
            ),
            "undo_refused" => (
                false,
                format!("{code} · {}", words::undo_refused(lang, "not_undoable")),
            ),
            other => (false, format!("{code} · {}", words::refusal(lang, other))),
        }
    });
    let title = tr!(lang, "Retours à la caisse", "Returns at the till");
    let body = html! {
        p.site { (shop.name) }
        (site_picker(&staff, "/shop", &shop, &sites, SiteKind::Shop))
        form #scan-form.card method="post" action="/shop/return" data-site=(shop.id) data-csrf=(staff.session.csrf) data-lang=(lang.as_str()) {
            input type="hidden" name="csrf" value=(staff.session.csrf);
            (key_field())
            input type="hidden" name="site" value=(shop.id);
            label for="code" { (tr!(lang, "Code du contenant (scanner, caméra ou clavier)", "Container code (scanner, camera or keyboard)")) }
            div.row {
                input #code type="text" name="code" autocomplete="off" autocapitalize="characters" spellcheck="false" required autofocus;
                button.primary type="submit" { (tr!(lang, "Enregistrer", "Record")) }
            }
            button #camera.secondary type="button" hidden { (tr!(lang, "Scanner avec la caméra", "Scan with the camera")) }
            video #preview hidden playsinline muted {}
        }
        div #result role="status" aria-live="assertive" class=(match &last { Some((true, _)) => "result ok", Some((false, _)) => "result refused", None => "result" }) {
            @if let Some((_, text)) = &last { (text) }
        }
        form #undo-form method="post" action="/shop/undo" {
            input type="hidden" name="csrf" value=(staff.session.csrf);
            (key_field())
            input type="hidden" name="site" value=(shop.id);
            input #undo-id type="hidden" name="id" value="";
            button #undo.secondary type="submit" { (tr!(lang, "Annuler le dernier retour", "Undo the last return")) }
        }
        p #tally { (tr!(lang, "Retours enregistrés aujourd'hui : ", "Returns recorded today: ")) strong #tally-count { (tally) } }
        p #queue hidden { (tr!(lang, "En attente d'envoi : ", "Waiting to be sent: ")) strong #queue-count { "0" } }
        ol #recent aria-label=(tr!(lang, "Derniers scans", "Latest scans")) {}
        section.card {
            h2 { (tr!(lang, "Collecte", "Collection")) }
            @if let Some(n) = q.shipped {
                p.result.ok role="status" { (n) (tr!(lang, " contenants remis à la collecte.", " containers handed to the collection.")) }
            }
            p { (tr!(lang, "Contenants sales ici : ", "Dirty containers here: ")) strong #dirty-count { (dirty.len()) } }
            @if !dirty.is_empty() && !washers.is_empty() {
                form method="post" action="/shop/collection" {
                    input type="hidden" name="csrf" value=(staff.session.csrf);
                    (key_field())
                    input type="hidden" name="site" value=(shop.id);
                    label for="washer" { (tr!(lang, "Laveur", "Washer")) }
                    select #washer name="washer" {
                        @for w in &washers { option value=(w.id) { (w.name) } }
                    }
                    button type="submit" { (tr!(lang, "Remettre tous les contenants sales à la collecte", "Hand all dirty containers to the collection")) }
                }
            }
        }
    };
    Ok(layout::page(
        &staff.visitor,
        title,
        body,
        &["jsQR.js", "till.js"],
    ))
}

/// Records one return by `staff` at `shop`.
pub async fn record_return(
    state: &State,
    staff: &Staff,
    shop: &str,
    code: String,
    id: Option<String>,
    at: Option<NaiveDateTime>,
) -> Result<Outcome, PageError> {
    let now = now();
    let req = EventRequest {
        id,
        code,
        action: Action::Return,
        site_id: shop.to_owned(),
        to_site_id: None,
        at: at.unwrap_or(now),
        shipment_id: None,
        batch_id: None,
        reason: None,
    };
    let user = staff.session.actor.clone();
    Ok(record(state, &user, now, move |conn, rec| {
        Ok(rec.record(conn, &req)?)
    })
    .await?)
}

/// A code as typed: what a hand scanner sends, trimmed.
fn cleaned(code: &str) -> String {
    code.trim().to_owned()
}

#[derive(Deserialize)]
pub struct ReturnForm {
    csrf: String,
    #[serde(default)]
    once: String,
    site: String,
    code: String,
}

/// `POST /shop/return`: the form without the script; answers on the till page.
pub async fn return_form(
    state: State,
    staff: Staff,
    form: web::Form<ReturnForm>,
) -> Result<HttpResponse, PageError> {
    let f = form.into_inner();
    staff.check_csrf(&f.csrf)?;
    once(&state, &staff, &f.once, async {
        let shop = shop_of(&state, &staff, Some(&f.site)).await?;
        let o = record_return(&state, &staff, &shop.id, cleaned(&f.code), None, None).await?;
        let last = match (o.status, &o.error) {
            (Status::Recorded, _) => "recorded",
            (Status::Duplicate, _) => "duplicate",
            (Status::Rejected, Some(e)) => e.code,
            (Status::Rejected, None) => "rejected",
        };
        let to = format!(
            "/shop?site={}&last={last}&code={}",
            words::url_encode(&shop.id),
            words::url_encode(&o.code)
        );
        Ok(if o.status == Status::Rejected {
            Done::Refused(to)
        } else {
            Done::Go(to)
        })
    })
    .await
}

#[derive(Deserialize)]
pub struct QueuedScan {
    /// The browser's UUID for the scan, so that sending it twice records it once.
    id: String,
    code: String,
    /// When it was scanned (RFC 3339), maybe long before it is sent.
    at: String,
}

#[derive(Deserialize)]
pub struct QueuedScans {
    site: String,
    scans: Vec<QueuedScan>,
}

/// What the till shows for one scan.
#[derive(Serialize)]
pub struct TillAnswer {
    id: String,
    code: String,
    ok: bool,
    status: &'static str,
    message: String,
}

fn answer(lang: Lang, o: &Outcome) -> TillAnswer {
    let (ok, status, message) = match (o.status, &o.error) {
        (Status::Recorded, _) => (true, "recorded", words::recorded(lang, false).to_owned()),
        (Status::Duplicate, _) => (true, "duplicate", words::recorded(lang, true).to_owned()),
        (Status::Rejected, e) => (
            false,
            "rejected",
            words::refusal(lang, e.as_ref().map_or("", |e| e.code)).to_owned(),
        ),
    };
    TillAnswer {
        id: o.id.clone(),
        code: o.code.clone(),
        ok,
        status,
        message,
    }
}

/// `POST /shop/scans` (the till's script, with the session's token in `X-CSRF-Token`): the
/// queued returns, each with its id and the time it was scanned.
pub async fn scans_json(
    state: State,
    staff: Staff,
    req: actix_web::HttpRequest,
    body: web::Json<QueuedScans>,
) -> Result<HttpResponse, PageError> {
    let token = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    staff.check_csrf(token)?;
    let b = body.into_inner();
    if b.scans.len() > crate::http::scans::MAX_SCANS {
        return Err(PageError::shown(
            StatusCode::PAYLOAD_TOO_LARGE,
            staff.lang,
            "Till",
            "too many scans at once",
        ));
    }
    let shop = shop_of(&state, &staff, Some(&b.site)).await?;
    let mut out = Vec::with_capacity(b.scans.len());
    for s in b.scans {
        let id = uuid::Uuid::parse_str(&s.id).ok().map(|u| u.to_string());
        let at = crate::http::parse_time("at", &s.at).ok();
        let o = record_return(&state, &staff, &shop.id, cleaned(&s.code), id, at).await?;
        out.push(answer(staff.lang, &o));
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({ "results": out })))
}

#[derive(Deserialize)]
pub struct CollectionForm {
    csrf: String,
    #[serde(default)]
    once: String,
    site: String,
    washer: String,
}

/// `POST /shop/collection`: every dirty container of the shop leaves for the washer.
pub async fn collection(
    state: State,
    staff: Staff,
    form: web::Form<CollectionForm>,
) -> Result<HttpResponse, PageError> {
    let f = form.into_inner();
    staff.check_csrf(&f.csrf)?;
    once(&state, &staff, &f.once, async {
        let shop = shop_of(&state, &staff, Some(&f.site)).await?;
        let now = now();
        let (site, washer) = (shop.id.clone(), f.washer.clone());
        let user = staff.session.actor.clone();
        let detour = state.config.detour_factor;
        let shipped = record(&state, &user, now, move |conn, rec| {
            let codes = dirty_here(conn, &site)?;
            if codes.is_empty() {
                return Ok(0);
            }
            let req = NewShipment {
                id: None,
                from_site_id: site,
                to_site_id: washer,
                codes,
                departed_at: now,
                distance_km: None,
                vehicle: None,
                detour_factor: detour,
            };
            let report = shipments::create(conn, rec, &req)?.map_err(crate::http::refused)?;
            Ok(report
                .results
                .iter()
                .filter(|r| r.status == Status::Recorded)
                .count())
        })
        .await?;
        let to = format!(
            "/shop?site={}&shipped={shipped}",
            words::url_encode(&shop.id)
        );
        Ok(Done::Go(to))
    })
    .await
}
