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

/// Failed sign-ins (and attempts under way) since `since`: of this e-mail from this client,
/// and from this client, each oldest first.
pub fn failures_since(
    conn: &mut DbConnection,
    email: &str,
    client: &str,
    since: NaiveDateTime,
) -> QueryResult<(Vec<NaiveDateTime>, Vec<NaiveDateTime>)> {
    let recent = sign_in_failures::table.filter(sign_in_failures::at.gt(since));
    let by_pair = recent
        .filter(sign_in_failures::email.eq(email))
        .filter(sign_in_failures::client.eq(client))
        .select(sign_in_failures::at)
        .order(sign_in_failures::at)
        .load(conn)?;
    let by_client = sign_in_failures::table
        .filter(sign_in_failures::at.gt(since))
        .filter(sign_in_failures::client.eq(client))
        .select(sign_in_failures::at)
        .order(sign_in_failures::at)
        .load(conn)?;
    Ok((by_pair, by_client))
}

/// Makes the transaction the only one counting and reserving attempts until it ends, so that
/// parallel attempts are counted one after the other: SQLite's write transactions are so
/// already; on PostgreSQL, a lock of the table that only these transactions take (the one
/// backend-specific statement of this module).
pub fn lock_attempts(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Postgres(pg) = conn {
        use diesel::connection::SimpleConnection;
        pg.batch_execute("LOCK TABLE sign_in_failures IN SHARE ROW EXCLUSIVE MODE")?;
    }
    Ok(())
}

/// Counts an attempt before its password is checked, as a failure until it succeeds;
/// attempts older than `forget_before` no longer count and go. Returns the attempt's id.
pub fn reserve_attempt(
    conn: &mut DbConnection,
    email: &str,
    client: &str,
    now: NaiveDateTime,
    forget_before: NaiveDateTime,
) -> QueryResult<String> {
    diesel::delete(sign_in_failures::table.filter(sign_in_failures::at.le(forget_before)))
        .execute(conn)?;
    let id = uuid::Uuid::now_v7().to_string();
    diesel::insert_into(sign_in_failures::table)
        .values((
            sign_in_failures::id.eq(&id),
            sign_in_failures::email.eq(email),
            sign_in_failures::client.eq(client),
            sign_in_failures::at.eq(now),
        ))
        .execute(conn)?;
    Ok(id)
}

/// A successful sign-in forgives the failures of that e-mail from that client, its own
/// attempt among them; the same e-mail's failures from elsewhere still count.
pub fn clear_failures(conn: &mut DbConnection, email: &str, client: &str) -> QueryResult<()> {
    diesel::delete(
        sign_in_failures::table
            .filter(sign_in_failures::email.eq(email))
            .filter(sign_in_failures::client.eq(client)),
    )
    .execute(conn)
    .map(drop)
}
