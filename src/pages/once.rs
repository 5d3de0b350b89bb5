//! Forms that record once (DESIGN rule 4): each carries a key drawn when it was shown. The
//! first submission claims the key, records, keeps its answer and sends the browser to it
//! (post/redirect/get); a reload, the back button or a second click finds the key taken and
//! is sent to the same answer, recording nothing more.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::{html, Markup};

use super::session::Staff;
use super::{see_other, tr, PageError};
use crate::db::answers::{self, Answer};
use crate::db::catalog::now;
use crate::http::{read, write, State};

/// The hidden field of a recording form, with a key of its own.
pub fn key_field() -> Markup {
    html! { input type="hidden" name="once" value=(uuid::Uuid::new_v4().to_string()); }
}

/// What a recording form's handler answers: a page, or a page to go to.
pub enum Done {
    Page(Markup),
    Go(String),
    /// Refused, nothing recorded: go there, and the form may be sent again.
    Refused(String),
}

impl Done {
    /// The page a redirect of a handler goes to.
    pub fn redirect(response: HttpResponse) -> Result<Done, PageError> {
        response
            .headers()
            .get(actix_web::http::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .map(|l| Done::Go(l.to_owned()))
            .ok_or_else(|| PageError::Internal(anyhow::anyhow!("a form's answer is no redirect")))
    }
}

/// The form's key as sent, in canonical form; a form without one is refused.
pub fn key_of(staff: &Staff, sent: &str) -> Result<String, PageError> {
    let lang = staff.lang;
    uuid::Uuid::parse_str(sent.trim())
        .map(|u| u.to_string())
        .map_err(|_| {
            PageError::shown(
                StatusCode::BAD_REQUEST,
                lang,
                tr!(lang, "Formulaire périmé", "Outdated form"),
                tr!(
                    lang,
                    "Ce formulaire ne porte pas de clé d'envoi : rechargez la page, puis recommencez.",
                    "This form carries no submission key: reload the page, then try again."
                ),
            )
        })
}

/// Runs `record` once for the form's `key`, and sends the browser to its answer.
pub async fn once<F>(
    state: &State,
    staff: &Staff,
    key: &str,
    record: F,
) -> Result<HttpResponse, PageError>
where
    F: std::future::Future<Output = Result<Done, PageError>>,
{
    let key = key_of(staff, key)?;
    let (k, session) = (key.clone(), staff.session.id.clone());
    let claimed = write(state, move |conn| {
        Ok(answers::claim(conn, &k, &session, now())?)
    })
    .await?;
    if !claimed {
        // Sent again: straight to where the first sending went, when it went somewhere.
        let (k, session) = (key.clone(), staff.session.id.clone());
        let kept = read(state, move |conn| Ok(answers::find(conn, &k, &session)?)).await?;
        return Ok(match kept {
            Some(Some(Answer::Go(to))) => see_other(to),
            _ => see_other(format!("/done/{key}")),
        });
    }
    let release = |key: String| async move {
        write(state, move |conn| Ok(answers::release(conn, &key)?)).await
    };
    let answer = match record.await {
        Ok(Done::Go(to)) => Answer::Go(to),
        Ok(Done::Page(page)) => Answer::Page {
            status: 200,
            html: page.into_string(),
        },
        // A refusal records nothing: the key is given back, so that the form, corrected
        // (after the back button, say), may be sent again; sent as it was, it is refused again.
        Ok(Done::Refused(to)) => {
            release(key).await?;
            return Ok(see_other(to));
        }
        Err(e @ PageError::Shown { .. }) => {
            release(key).await?;
            return Err(e);
        }
        // A fault: the key stays claimed with no answer, which the answer's page says.
        Err(e) => return Err(e),
    };
    let (k, kept) = (key.clone(), answer.clone());
    write(state, move |conn| Ok(answers::keep(conn, &k, &kept)?)).await?;
    Ok(match answer {
        Answer::Go(to) => see_other(to),
        Answer::Page { .. } => see_other(format!("/done/{key}")),
    })
}

/// The kept page with a new key in each of its forms: the page is shown anew, so its forms
/// are new forms, and what is sent through one of them is not taken for the first sending of
/// the same form shown before.
fn with_new_keys(html: &str) -> String {
    const FIELD: &str = "name=\"once\" value=\"";
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(FIELD) {
        let (head, tail) = rest.split_at(i + FIELD.len());
        out.push_str(head);
        let end = tail.find('"').unwrap_or(tail.len());
        out.push_str(&uuid::Uuid::new_v4().to_string());
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// `GET /done/{key}`: the answer of a form this session sent.
pub async fn answer(
    state: State,
    staff: Staff,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let lang = staff.lang;
    let (key, session) = (path.into_inner(), staff.session.id.clone());
    let found = read(&state, move |conn| Ok(answers::find(conn, &key, &session)?)).await?;
    match found {
        Some(Some(Answer::Page { status, html })) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            Ok(HttpResponse::build(status)
                .content_type("text/html; charset=utf-8")
                // Shown again, it is drawn again: its forms get keys of their own.
                .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
                .body(with_new_keys(&html)))
        }
        Some(Some(Answer::Go(to))) => Ok(see_other(to)),
        Some(None) => Err(PageError::shown(
            StatusCode::CONFLICT,
            lang,
            tr!(lang, "Envoi en cours", "Still being recorded"),
            tr!(
                lang,
                "Ce formulaire a déjà été envoyé et son résultat n'est pas encore là : rechargez dans un instant. S'il ne vient pas, rouvrez la page et vérifiez ce qui a été enregistré.",
                "This form was sent already and its result is not there yet: reload in a moment. If it does not come, open the page again and check what was recorded."
            ),
        )),
        None => Err(PageError::shown(
            StatusCode::NOT_FOUND,
            lang,
            tr!(lang, "Résultat introuvable", "No such result"),
            tr!(
                lang,
                "Ce résultat n'existe pas, ou plus (il est gardé un jour), ou il est celui d'une autre session.",
                "This result does not exist, or no longer (it is kept a day), or it belongs to another session."
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_page_shown_again_has_new_keys() {
        let page = format!(
            "{}<p>x</p>{}",
            super::key_field().into_string(),
            super::key_field().into_string()
        );
        let again = super::with_new_keys(&page);
        assert_eq!(again.len(), page.len());
        assert_ne!(again, page);
        assert!(again.contains("<p>x</p>"));
        assert_eq!(again.matches("name=\"once\"").count(), 2);
    }
}
