//! The outbox, for coordinators: every mail with its state, and a retry for failed ones.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Authed;
use super::views::ErrorView;
use super::{page_limit, read, write, State};
use crate::db::catalog::now;
use crate::error::AppError;
use crate::mail::outbox::{self, OutboxRow, STATUSES};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// `queued`, `sending`, `sent` or `failed`.
    status: Option<String>,
    /// 1 to 1,000; 100 when absent.
    limit: Option<i64>,
}

/// A mail as coordinators see it in the outbox.
#[derive(Serialize, ToSchema)]
pub struct OutboxView {
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
        body_text: without_secrets(&r.body_text),
    }
}

/// The mail's text with each recipient's unsubscribe secret hidden: a coordinator reading
/// the outbox must not be able to unsubscribe others from their mails.
fn without_secrets(text: &str) -> String {
    const LINK: &str = "/unsubscribe/";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(LINK) {
        let (head, tail) = rest.split_at(i + LINK.len());
        out.push_str(head);
        out.push('…');
        let end = tail
            .find(|c: char| c == '?' || c.is_whitespace())
            .unwrap_or(tail.len());
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_outbox_hides_unsubscribe_secrets() {
        assert_eq!(
            super::without_secrets("Stock bas.\n-- \nPour ne plus recevoir : https://b.test/unsubscribe/s3cr3t?kind=low_stock\n"),
            "Stock bas.\n-- \nPour ne plus recevoir : https://b.test/unsubscribe/…?kind=low_stock\n"
        );
        assert_eq!(super::without_secrets("no link"), "no link");
    }
}

/// `GET /outbox?status=&limit=`: mails newest first, for coordinators.
#[utoipa::path(get, path = "/api/v1/outbox", operation_id = "listOutbox", tag = "alerts",
    params(OutboxQuery),
    responses(
        (status = 200, description = "The mails, newest first.", body = Vec<OutboxView>),
        (status = 403, description = "`forbidden`: only coordinators read the outbox.", body = ErrorView),
    ))]
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
    let limit = page_limit(q.limit)?;
    let rows = read(&state, move |conn| {
        Ok(outbox::list(conn, q.status.as_deref(), limit)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(view).collect::<Vec<_>>()))
}

/// `POST /outbox/{id}/retry`: a failed mail goes back in the queue.
#[utoipa::path(post, path = "/api/v1/outbox/{id}/retry", operation_id = "retryMail", tag = "alerts",
    params(("id" = String, Path, description = "The mail's id.")),
    responses(
        (status = 200, description = "The mail, queued again.", body = OutboxView),
        (status = 403, description = "`forbidden`: only coordinators retry mails.", body = ErrorView),
        (status = 404, description = "`not_found`: no mail has this id.", body = ErrorView),
        (status = 409, description = "`conflict`: the mail has not failed.", body = ErrorView),
    ))]
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
