//! The outbox: every mail is a row first, written in the transaction of its cause, then
//! claimed, delivered and marked by a sender. Claims are leases, so a sender that dies
//! mid-way gives its mails back to the next one.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{texts, Kind, Lang};
use crate::db::schema::{mail_opt_outs, outbox, users};
use crate::db::DbConnection;

pub const QUEUED: &str = "queued";
pub const SENDING: &str = "sending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";
pub const STATUSES: &[&str] = &[QUEUED, SENDING, SENT, FAILED];

/// How long a claim holds before another sender may take the mail again.
pub const LEASE: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = outbox, treat_none_as_default_value = false)]
pub struct OutboxRow {
    pub id: String,
    pub kind: String,
    pub user_id: Option<String>,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub attachment_name: Option<String>,
    pub attachment: Option<String>,
    pub unsubscribe_url: Option<String>,
    pub alert_id: Option<String>,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: NaiveDateTime,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// What a mail says, in one language, before the footer every mail gets.
#[derive(Debug, Clone, Default)]
pub struct Content {
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// File name and CSV text.
    pub attachment: Option<(String, String)>,
}

/// A user a mail goes to.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipient {
    pub user_id: String,
    pub email: String,
    pub lang: Lang,
}

/// Who a mail is for, before opt-outs.
#[derive(Debug, Clone)]
pub enum Audience {
    Coordinators,
    /// Every user whose site is one of these.
    AtSites(Vec<String>),
    /// Users of the washer role, wherever they work.
    Washers,
}

/// The users of `audiences` who have not turned `kind` off, each once, by e-mail.
pub fn recipients(
    conn: &mut DbConnection,
    kind: Kind,
    audiences: &[Audience],
) -> QueryResult<Vec<Recipient>> {
    let mut found: Vec<(String, String, String)> = Vec::new();
    for audience in audiences {
        let q = users::table
            .select((users::id, users::email, users::language))
            .into_boxed();
        let q = match audience {
            Audience::Coordinators => q.filter(users::role.eq("coordinator")),
            Audience::AtSites(sites) => q.filter(users::site_id.eq_any(sites.clone())),
            Audience::Washers => q.filter(users::role.eq("washer")),
        };
        found.extend(q.load::<(String, String, String)>(conn)?);
    }
    let off: Vec<String> = mail_opt_outs::table
        .filter(mail_opt_outs::kind.eq(kind.as_str()))
        .select(mail_opt_outs::user_id)
        .load(conn)?;
    found.sort_by(|a, b| a.1.cmp(&b.1));
    found.dedup_by(|a, b| a.0 == b.0);
    Ok(found
        .into_iter()
        .filter(|(id, _, _)| !off.contains(id))
        .map(|(user_id, email, lang)| Recipient {
            user_id,
            email,
            lang: Lang::parse(&lang).unwrap_or(Lang::Fr),
        })
        .collect())
}

/// Queues one mail per recipient, written by `render` in the recipient's language, with
/// the unsubscribe footer. Returns the ids queued.
pub fn queue(
    conn: &mut DbConnection,
    base_url: &str,
    kind: Kind,
    to: &[Recipient],
    alert_id: Option<&str>,
    now: NaiveDateTime,
    render: &dyn Fn(Lang) -> Content,
) -> QueryResult<Vec<String>> {
    let mut ids = Vec::new();
    for r in to {
        let content = render(r.lang);
        let token = super::prefs::unsubscribe_token(conn, &r.user_id)?;
        let url = format!("{base_url}/unsubscribe/{token}?kind={}", kind.as_str());
        let (text, html) = texts::with_footer(r.lang, kind, &url, &content);
        let (attachment_name, attachment) = content.attachment.clone().unzip();
        let row = OutboxRow {
            id: uuid::Uuid::now_v7().to_string(),
            kind: kind.as_str().to_owned(),
            user_id: Some(r.user_id.clone()),
            recipient: r.email.clone(),
            subject: content.subject.clone(),
            body_text: text,
            body_html: html,
            attachment_name,
            attachment,
            unsubscribe_url: Some(url),
            alert_id: alert_id.map(str::to_owned),
            status: QUEUED.to_owned(),
            attempts: 0,
            next_attempt_at: now,
            claimed_by: None,
            claimed_until: None,
            last_error: None,
            created_at: now,
            sent_at: None,
        };
        diesel::insert_into(outbox::table)
            .values(&row)
            .execute(conn)?;
        ids.push(row.id);
    }
    Ok(ids)
}

macro_rules! due_query {
    ($now:expr, $limit:expr) => {
        outbox::table
            .filter(
                outbox::status
                    .eq(QUEUED)
                    .and(outbox::next_attempt_at.le($now))
                    .or(outbox::status
                        .eq(SENDING)
                        .and(outbox::claimed_until.lt($now))),
            )
            .order(outbox::next_attempt_at)
            .limit($limit)
            .select(outbox::id)
    };
}

/// Claims up to `limit` mails due at `now` for `worker`: queued ones whose time has come, and
/// those whose sender's lease ran out. Runs in its own transaction; on PostgreSQL rows
/// another sender is claiming are skipped, not waited for.
pub fn claim(
    conn: &mut DbConnection,
    worker: &str,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    crate::db::write_tx(conn, |conn| {
        let ids: Vec<String> = match conn {
            DbConnection::Postgres(c) => {
                due_query!(now, limit).for_update().skip_locked().load(c)?
            }
            DbConnection::Sqlite(c) => due_query!(now, limit).load(c)?,
        };
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let until = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
        diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
            .set((
                outbox::status.eq(SENDING),
                outbox::claimed_by.eq(worker),
                outbox::claimed_until.eq(until),
                outbox::attempts.eq(outbox::attempts + 1),
            ))
            .execute(conn)?;
        outbox::table
            .filter(outbox::id.eq_any(&ids))
            .order(outbox::created_at)
            .select(OutboxRow::as_select())
            .load(conn)
    })
}

/// Records how delivering `id` went. Only the sender holding the claim writes; a failure is
/// retried after a back-off doubling from `retry`, until `max_attempts` tries, unless it is
/// permanent.
pub fn finish(
    conn: &mut DbConnection,
    row: &OutboxRow,
    worker: &str,
    outcome: Result<(), super::sender::Failure>,
    settings: &super::Settings,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let mine = outbox::table
        .filter(outbox::id.eq(&row.id))
        .filter(outbox::claimed_by.eq(worker))
        .filter(outbox::status.eq(SENDING));
    match outcome {
        Ok(()) => diesel::update(mine)
            .set((
                outbox::status.eq(SENT),
                outbox::sent_at.eq(now),
                outbox::claimed_until.eq(None::<NaiveDateTime>),
                outbox::last_error.eq(None::<String>),
            ))
            .execute(conn)?,
        Err(super::sender::Failure { error, permanent }) => {
            let given_up = permanent || row.attempts >= settings.max_attempts;
            let wait = backoff(settings.retry, row.attempts);
            diesel::update(mine)
                .set((
                    outbox::status.eq(if given_up { FAILED } else { QUEUED }),
                    outbox::next_attempt_at
                        .eq(now + chrono::Duration::from_std(wait).unwrap_or_default()),
                    outbox::claimed_until.eq(None::<NaiveDateTime>),
                    outbox::last_error.eq(error),
                ))
                .execute(conn)?
        }
    };
    Ok(())
}

/// The wait after the `attempts`-th failed try: `retry`, doubled each time, at most an hour.
pub fn backoff(retry: Duration, attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    (retry * 2u32.pow(doublings)).min(Duration::from_secs(3600))
}

/// Mails, newest first, of one status or all.
pub fn list(
    conn: &mut DbConnection,
    status: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    let mut q = outbox::table
        .select(OutboxRow::as_select())
        .order((outbox::created_at.desc(), outbox::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(outbox::status.eq(s.to_owned()));
    }
    q.load(conn)
}

/// Puts a failed mail back in the queue for a fresh round of tries.
pub fn retry(
    conn: &mut DbConnection,
    id: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<OutboxRow>> {
    diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::status.eq(FAILED)),
    )
    .set((
        outbox::status.eq(QUEUED),
        outbox::attempts.eq(0),
        outbox::next_attempt_at.eq(now),
    ))
    .execute(conn)?;
    outbox::table
        .find(id)
        .select(OutboxRow::as_select())
        .first(conn)
        .optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_up_to_an_hour() {
        let base = Duration::from_secs(30);
        assert_eq!(backoff(base, 1), Duration::from_secs(30));
        assert_eq!(backoff(base, 2), Duration::from_secs(60));
        assert_eq!(backoff(base, 4), Duration::from_secs(240));
        assert_eq!(backoff(base, 8), Duration::from_secs(3600));
        assert_eq!(backoff(base, 60), Duration::from_secs(3600));
    }
}
