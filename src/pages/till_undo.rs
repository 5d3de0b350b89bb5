//! "Undo the last return" at the till: a return scanned by mistake is undone by an `undo`
//! event (nothing is deleted), from the script with the scan's id, or without it for this
//! user's last return here today.

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Deserialize;

use super::session::Staff;
use super::till::shop_of;
use super::{see_other, tr, words, PageError};
use crate::db::catalog::now;
use crate::db::scans::Status;
use crate::db::schema::events;
use crate::domain::state::Action;
use crate::http::{record, State};

/// The id of this user's last return here today that still counts, for "undo last" without
/// the script.
fn last_return(
    conn: &mut crate::db::DbConnection,
    user_id: &str,
    site_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<String>> {
    let midnight = now.date().and_hms_opt(0, 0, 0).unwrap_or(now);
    events::table
        .filter(events::action.eq(Action::Return.as_str()))
        .filter(events::site_id.eq(site_id))
        .filter(events::user_id.eq(user_id))
        .filter(events::recorded_at.ge(midnight))
        .filter(crate::live_events!())
        .order(events::seq.desc())
        .select(events::id)
        .first(conn)
        .optional()
}

#[derive(Deserialize)]
pub struct UndoForm {
    csrf: String,
    site: String,
    /// The scan to undo; this user's last return here today when absent.
    #[serde(default)]
    id: String,
}

/// `POST /shop/undo`: undoes a return scanned by mistake (an `undo` event; nothing is
/// deleted). Answers JSON to the till's script, else back to the till.
pub async fn undo(
    state: State,
    staff: Staff,
    req: actix_web::HttpRequest,
    form: web::Form<UndoForm>,
) -> Result<HttpResponse, PageError> {
    let f = form.into_inner();
    staff.check_csrf(&f.csrf)?;
    let lang = staff.lang;
    let shop = shop_of(&state, &staff, Some(&f.site)).await?;
    let actor = staff.session.actor.clone();
    let (user, site) = (actor.user_id.clone(), shop.id.clone());
    let asked = Some(f.id).filter(|i| !i.is_empty());
    let o = record(&state, &user, now(), move |conn, rec| {
        let id = match asked {
            Some(id) => Some(id),
            None => last_return(conn, &actor.user_id, &site, rec.now)?,
        };
        match id {
            Some(id) => Ok(Some(crate::db::undo::undo(conn, rec, &id, &actor)?)),
            None => Ok(None),
        }
    })
    .await?;
    let (ok, code, message) = match &o {
        Some(o) if o.status != Status::Rejected => (
            true,
            o.code.clone(),
            tr!(lang, "Retour annulé", "Return undone").to_owned(),
        ),
        Some(o) => (
            false,
            o.code.clone(),
            words::undo_refused(lang, o.error.as_ref().map_or("", |e| e.code)).to_owned(),
        ),
        None => (
            false,
            String::new(),
            tr!(
                lang,
                "Aucun retour à annuler aujourd'hui.",
                "No return to undo today."
            )
            .to_owned(),
        ),
    };
    let wants_json = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if wants_json {
        return Ok(HttpResponse::Ok()
            .json(serde_json::json!({"ok": ok, "code": code, "message": message})));
    }
    let last = if ok { "undone" } else { "undo_refused" };
    Ok(see_other(format!(
        "/shop?site={}&last={last}&code={}",
        words::url_encode(&shop.id),
        words::url_encode(&code)
    )))
}
