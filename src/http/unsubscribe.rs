//! The unsubscribe page every mail links to, and RFC 8058 one-click unsubscribing.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::views::ErrorView;
use super::{write, State};
use crate::db::catalog::now;
use crate::error::AppError;
use crate::mail::{prefs, Kind};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnsubscribeQuery {
    /// One kind of mail; every kind when absent.
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
#[utoipa::path(get, path = "/unsubscribe/{token}", operation_id = "unsubscribePage", tag = "links",
    params(("token" = String, Path, description = "The secret of the user's links."), UnsubscribeQuery),
    responses((status = 200, description = "A page with a button to confirm.", content_type = "text/html", body = String)))]
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
#[utoipa::path(post, path = "/unsubscribe/{token}", operation_id = "unsubscribe", tag = "links",
    params(("token" = String, Path, description = "The secret of the user's links."), UnsubscribeQuery),
    responses(
        (status = 200, description = "A page saying what the user will no longer receive.", content_type = "text/html", body = String),
        (status = 404, description = "`not_found`: the link is not known.", body = ErrorView),
    ))]
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
