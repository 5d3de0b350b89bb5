//! `GET /audit`: the audit log, for coordinators.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Authed;
use super::views::{utc, ErrorView};
use super::{page_limit, read, State};
use crate::db::audit::{list, AuditAction, Entry, Filter};
use crate::error::AppError;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only entries of this action: `sign_in`, `sign_in_failed`, `sign_in_refused`,
    /// `sign_out`, `token_created`, `token_revoked` or `user_added`.
    action: Option<String>,
    /// Only entries where this e-mail acted or was acted on.
    email: Option<String>,
    /// The id of the last entry of the previous page: only older entries.
    before: Option<String>,
    /// 1 to 1,000; 100 when absent.
    limit: Option<i64>,
}

/// An entry of the audit log.
#[derive(Serialize, ToSchema)]
pub struct AuditEntryView {
    id: String,
    at: DateTime<Utc>,
    action: AuditAction,
    /// The user who acted, when one was signed in.
    actor_id: Option<String>,
    /// Their e-mail, `command line` for the administrative commands, null before a sign-in.
    actor: Option<String>,
    /// The e-mail of the account concerned (as typed, for a failed sign-in).
    subject: Option<String>,
    /// The client's address (through TRUSTED_PROXIES); null from the command line.
    client: Option<String>,
    /// What was done: the token's name, the new user's role and site, the way of signing in.
    detail: String,
}

fn view(e: Entry) -> Result<AuditEntryView, AppError> {
    let action = AuditAction::parse(&e.action).ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!(
            "audit entry {} has an unknown action",
            e.id
        ))
    })?;
    Ok(AuditEntryView {
        id: e.id,
        at: utc(e.at),
        action,
        actor_id: e.actor_id,
        actor: e.actor,
        subject: e.subject,
        client: e.client,
        detail: e.detail,
    })
}

/// `GET /audit?action=&email=&before=&limit=`: sign-ins, tokens and users added, newest first.
#[utoipa::path(get, path = "/api/v1/audit", operation_id = "listAudit", tag = "sign-in",
    params(AuditQuery),
    responses(
        (status = 200, description = "The entries, newest first; for the next page, give the last one's id as `before`.", body = Vec<AuditEntryView>),
        (status = 403, description = "`forbidden`: only coordinators read the audit log.", body = ErrorView),
    ))]
pub async fn list_audit(
    state: State,
    authed: Authed,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    authed.manager("read the audit log")?;
    let q = query.into_inner();
    let action = match q.action.as_deref() {
        Some(a) => Some(AuditAction::parse(a).ok_or_else(|| {
            AppError::bad_request(
                "invalid_query",
                format!(
                    "action={a:?} is not known; give one of {}",
                    AuditAction::choices()
                ),
            )
        })?),
        None => None,
    };
    let limit = page_limit(q.limit)?;
    let filter = Filter {
        action,
        email: q.email.map(|e| e.trim().to_lowercase()),
        before: q.before,
        limit,
    };
    let entries = read(&state, move |conn| {
        list(conn, &filter)?.ok_or_else(|| {
            AppError::bad_request(
                "invalid_query",
                format!(
                    "before={:?} names no entry of the audit log; give the id of the last entry of the previous page",
                    filter.before.as_deref().unwrap_or_default()
                ),
            )
        })
    })
    .await?;
    let views = entries
        .into_iter()
        .map(view)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(views))
}
