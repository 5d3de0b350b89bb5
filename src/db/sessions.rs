//! Browser sessions, and the failed sign-ins that slow password guessing.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::auth::{actor_of, random_secret, token_hash};
use super::models::User;
use super::schema::{sign_in_failures, users, web_sessions};
use super::DbConnection;
use crate::domain::roles::Actor;

/// How long a browser stays signed in without signing in again.
pub const LIFETIME: TimeDelta = TimeDelta::days(30);
/// A session unused this long ends.
pub const IDLE: TimeDelta = TimeDelta::days(7);
/// `last_seen_at` is written at most this often, so that reading pages does not write.
const TOUCH_EVERY: TimeDelta = TimeDelta::hours(1);

/// A signed-in browser.
#[derive(Debug, Clone)]
pub struct WebSession {
    pub id: String,
    pub actor: Actor,
    /// The token every form and script of the session sends back.
    pub csrf: String,
    /// `fr` or `en`.
    pub language: String,
}

/// Starts a session for the user; returns the cookie's secret (kept only as a hash). The
/// sessions that can no longer open anything are deleted on the way.
pub fn start(conn: &mut DbConnection, user_id: &str, now: NaiveDateTime) -> QueryResult<String> {
    diesel::delete(
        web_sessions::table.filter(
            web_sessions::expires_at
                .le(now)
                .or(web_sessions::last_seen_at.le(now - IDLE))
                .or(web_sessions::ended_at.is_not_null()),
        ),
    )
    .execute(conn)?;
    let secret = random_secret();
    diesel::insert_into(web_sessions::table)
        .values((
            web_sessions::id.eq(token_hash(&secret)),
            web_sessions::user_id.eq(user_id),
            web_sessions::csrf_token.eq(random_secret()),
            web_sessions::created_at.eq(now),
            web_sessions::last_seen_at.eq(now),
            web_sessions::expires_at.eq(now + LIFETIME),
        ))
        .execute(conn)?;
    Ok(secret)
}

/// The session a cookie's secret opens, unless it ended, expired or went unused too long.
pub fn find(
    conn: &mut DbConnection,
    secret: &str,
    now: NaiveDateTime,
) -> anyhow::Result<Option<WebSession>> {
    let id = token_hash(secret);
    let found: Option<(String, NaiveDateTime, User, String)> = web_sessions::table
        .inner_join(users::table)
        .filter(web_sessions::id.eq(&id))
        .filter(web_sessions::ended_at.is_null())
        .filter(web_sessions::expires_at.gt(now))
        .filter(web_sessions::last_seen_at.gt(now - IDLE))
        .select((
            web_sessions::csrf_token,
            web_sessions::last_seen_at,
            User::as_select(),
            users::language,
        ))
        .get_result(conn)
        .optional()?;
    let Some((csrf, seen, user, language)) = found else {
        return Ok(None);
    };
    if now - seen > TOUCH_EVERY {
        diesel::update(web_sessions::table.find(&id))
            .set(web_sessions::last_seen_at.eq(now))
            .execute(conn)?;
    }
    Ok(Some(WebSession {
        id,
        actor: actor_of(user)?,
        csrf,
        language,
    }))
}

/// Ends a session (signing out).
pub fn end(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(web_sessions::table.find(id))
        .filter(web_sessions::ended_at.is_null())
        .set(web_sessions::ended_at.eq(Some(now)))
        .execute(conn)
}

/// Failed sign-ins since `since`: for this e-mail, and from this client.
pub fn failures_since(
    conn: &mut DbConnection,
    email: &str,
    client: &str,
    since: NaiveDateTime,
) -> QueryResult<(Vec<NaiveDateTime>, Vec<NaiveDateTime>)> {
    let recent = sign_in_failures::table.filter(sign_in_failures::at.gt(since));
    let by_email = recent
        .filter(sign_in_failures::email.eq(email))
        .select(sign_in_failures::at)
        .order(sign_in_failures::at)
        .load(conn)?;
    let by_client = sign_in_failures::table
        .filter(sign_in_failures::at.gt(since))
        .filter(sign_in_failures::client.eq(client))
        .select(sign_in_failures::at)
        .order(sign_in_failures::at)
        .load(conn)?;
    Ok((by_email, by_client))
}

/// Counts a failed sign-in; failures older than `forget_before` no longer count and go.
pub fn record_failure(
    conn: &mut DbConnection,
    email: &str,
    client: &str,
    now: NaiveDateTime,
    forget_before: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(sign_in_failures::table.filter(sign_in_failures::at.le(forget_before)))
        .execute(conn)?;
    diesel::insert_into(sign_in_failures::table)
        .values((
            sign_in_failures::id.eq(uuid::Uuid::now_v7().to_string()),
            sign_in_failures::email.eq(email),
            sign_in_failures::client.eq(client),
            sign_in_failures::at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// A successful sign-in forgives the e-mail's failures.
pub fn clear_failures(conn: &mut DbConnection, email: &str) -> QueryResult<()> {
    diesel::delete(sign_in_failures::table.filter(sign_in_failures::email.eq(email)))
        .execute(conn)
        .map(drop)
}
