//! "Undo the last return" at the till: a return scanned by mistake is undone by an `undo`
//! event (nothing is deleted), from the script with the scan's id, or without it for this
//! user's last return here today.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::once::{once, Done};
use super::session::Staff;
use super::till::{returns_today, shop_of};
use super::{tr, words, PageError};
use crate::db::catalog::now;
use crate::db::scans::Status;
use crate::http::{record, State};

#[derive(Deserialize)]
pub struct UndoForm {
    csrf: String,
    #[serde(default)]
    once: String,
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
    let wants_json = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if wants_json {
        // The till's script names the scan it undoes: sent twice, the second is a duplicate.
        let (ok, code, message, _) = undo_now(&state, &staff, &f).await?;
        return Ok(HttpResponse::Ok()
            .json(serde_json::json!({"ok": ok, "code": code, "message": message})));
    }
    // The form undoes the last return of the day: once per form, or a reload would undo the
    // one before it.
    once(&state, &staff, &f.once, async {
        let (ok, code, _, shop) = undo_now(&state, &staff, &f).await?;
        let last = if ok { "undone" } else { "undo_refused" };
        let to = format!(
            "/shop?site={}&last={last}&code={}",
            words::url_encode(&shop),
            words::url_encode(&code)
        );
        Ok(if ok { Done::Go(to) } else { Done::Refused(to) })
    })
    .await
}

/// Undoes the scan the form names, or the user's last return here today: whether it was
/// undone, the container's code, what to tell the cashier, and the shop.
async fn undo_now(
    state: &State,
    staff: &Staff,
    f: &UndoForm,
) -> Result<(bool, String, String, String), PageError> {
    let lang = staff.lang;
    let shop = shop_of(state, staff, Some(&f.site)).await?;
    let actor = staff.session.actor.clone();
    let site = shop.id.clone();
    let asked = Some(f.id.clone()).filter(|i| !i.is_empty());
    let o = record(state, &actor.clone(), now(), move |conn, rec| {
        let id = match asked {
            Some(id) => Some(id),
            None => returns_today(conn, &actor.user_id, &site, rec.now)?
                .into_iter()
                .next(),
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
    Ok((ok, code, message, shop.id))
}
