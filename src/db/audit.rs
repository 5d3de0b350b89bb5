//! The audit log: who signed in (or failed to, or was made to wait), who signed out, made or
//! revoked tokens and added users, when and from where. Entries are written in the same
//! transaction as what they record, and only added: the database refuses the rest
//! (migration 13).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::audit_log;
use super::DbConnection;
use crate::domain::words::text_enum;

text_enum! {
    /// What an entry of the audit log records.
    AuditAction {
        SignIn = "sign_in",
        SignInFailed = "sign_in_failed",
        SignInRefused = "sign_in_refused",
        SignOut = "sign_out",
        TokenCreated = "token_created",
        TokenRevoked = "token_revoked",
        UserAdded = "user_added",
    }
}

/// The actor of the administrative commands.
pub const COMMAND_LINE: &str = "command line";

/// Who acts, and from where.
#[derive(Debug, Clone, Copy)]
pub struct By<'a> {
    pub user_id: Option<&'a str>,
    /// The signed-in user's e-mail, [`COMMAND_LINE`], or none before a sign-in.
    pub actor: Option<&'a str>,
    /// The client's address, through the trusted proxies.
    pub client: Option<&'a str>,
}

impl<'a> By<'a> {
    pub fn command_line() -> By<'static> {
        By {
            user_id: None,
            actor: Some(COMMAND_LINE),
            client: None,
        }
    }

    pub fn user(id: &'a str, email: &'a str, client: &'a str) -> By<'a> {
        By {
            user_id: Some(id),
            actor: Some(email),
            client: Some(client),
        }
    }

    /// Someone not signed in, e.g. trying a password.
    pub fn nobody(client: &'a str) -> By<'a> {
        By {
            user_id: None,
            actor: None,
            client: Some(client),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct Entry {
    pub id: String,
    pub at: NaiveDateTime,
    pub action: String,
    pub actor_id: Option<String>,
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub client: Option<String>,
    pub detail: String,
}

/// Adds an entry: `subject` is the e-mail of the account concerned.
pub fn record(
    conn: &mut DbConnection,
    action: AuditAction,
    by: &By,
    subject: Option<&str>,
    detail: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(uuid::Uuid::now_v7().to_string()),
            audit_log::at.eq(now),
            audit_log::action.eq(action.as_str()),
            audit_log::actor_id.eq(by.user_id),
            audit_log::actor.eq(by.actor),
            audit_log::subject.eq(subject),
            audit_log::client.eq(by.client),
            audit_log::detail.eq(detail),
        ))
        .execute(conn)
        .map(drop)
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub action: Option<AuditAction>,
    /// Entries where this e-mail acted or was acted on.
    pub email: Option<String>,
    /// Only entries older than the one with this id (the next page).
    pub before: Option<String>,
    pub limit: i64,
}

/// Entries newest first; `None` when `before` names no entry.
pub fn list(conn: &mut DbConnection, filter: &Filter) -> QueryResult<Option<Vec<Entry>>> {
    let mut query = audit_log::table.into_boxed();
    if let Some(id) = &filter.before {
        let Some(at) = audit_log::table
            .find(id)
            .select(audit_log::at)
            .first::<NaiveDateTime>(conn)
            .optional()?
        else {
            return Ok(None);
        };
        query = query.filter(
            audit_log::at
                .lt(at)
                .or(audit_log::at.eq(at).and(audit_log::id.lt(id.clone()))),
        );
    }
    if let Some(action) = filter.action {
        query = query.filter(audit_log::action.eq(action.as_str()));
    }
    if let Some(email) = &filter.email {
        query = query.filter(
            audit_log::actor
                .eq(email.clone())
                .or(audit_log::subject.eq(email.clone())),
        );
    }
    query
        .order((audit_log::at.desc(), audit_log::id.desc()))
        .limit(filter.limit)
        .select(Entry::as_select())
        .load(conn)
        .map(Some)
}
