//! The answers of page forms that record, kept by the key each form carries so that a form
//! sent again records nothing more (DESIGN rule 4).

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::schema::form_answers;
use super::{insert_once, DbConnection};

/// How long a form's answer is kept: a reload or a back button comes within minutes.
pub const KEPT: TimeDelta = TimeDelta::days(1);

/// What a form answered: a page to show again, or a page to go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Page { status: u16, html: String },
    Go(String),
}

/// Claims `key` for the session: true when this submission is the first, false when the key
/// was claimed already (by this submission sent again, or at the same moment by a second
/// click, which waits for the first to commit). Answers older than [`KEPT`] go.
pub fn claim(
    conn: &mut DbConnection,
    key: &str,
    session_id: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::delete(form_answers::table.filter(form_answers::created_at.lt(now - KEPT)))
        .execute(conn)?;
    insert_once(conn, |c| {
        diesel::insert_into(form_answers::table)
            .values((
                form_answers::key.eq(key),
                form_answers::session_id.eq(session_id),
                form_answers::created_at.eq(now),
            ))
            .execute(c)
    })
}

/// Gives `key` back, for a submission that recorded nothing (it was refused): the same form,
/// corrected, may then be sent again.
pub fn release(conn: &mut DbConnection, key: &str) -> QueryResult<()> {
    diesel::delete(form_answers::table.find(key))
        .execute(conn)
        .map(drop)
}

/// Keeps the answer of the submission that claimed `key`.
pub fn keep(conn: &mut DbConnection, key: &str, answer: &Answer) -> QueryResult<()> {
    let (status, location, page) = match answer {
        Answer::Page { status, html } => (Some(i64::from(*status)), None, Some(html.as_str())),
        Answer::Go(to) => (None, Some(to.as_str()), None),
    };
    diesel::update(form_answers::table.find(key))
        .set((
            form_answers::status.eq(status),
            form_answers::location.eq(location),
            form_answers::page.eq(page),
        ))
        .execute(conn)
        .map(drop)
}

/// The answer kept for `key`, if it is the session's: `Some(None)` while the submission that
/// claimed it has not answered yet (or never did).
pub fn find(
    conn: &mut DbConnection,
    key: &str,
    session_id: &str,
) -> anyhow::Result<Option<Option<Answer>>> {
    let row: Option<(Option<i64>, Option<String>, Option<String>)> = form_answers::table
        .find(key)
        .filter(form_answers::session_id.eq(session_id))
        .select((
            form_answers::status,
            form_answers::location,
            form_answers::page,
        ))
        .get_result(conn)
        .optional()?;
    let Some((status, location, page)) = row else {
        return Ok(None);
    };
    Ok(Some(match (status, location, page) {
        (_, Some(to), _) => Some(Answer::Go(to)),
        (Some(status), None, Some(html)) => Some(Answer::Page {
            status: u16::try_from(status)?,
            html,
        }),
        _ => None,
    }))
}

/// Keeps the codes of the containers the form with `key` commissioned, one a line.
pub fn keep_codes(conn: &mut DbConnection, key: &str, codes: &[String]) -> QueryResult<()> {
    diesel::update(form_answers::table.find(key))
        .set(form_answers::codes.eq(codes.join("\n")))
        .execute(conn)
        .map(drop)
}

/// The codes kept for `key`, if it is the session's.
pub fn codes(
    conn: &mut DbConnection,
    key: &str,
    session_id: &str,
) -> QueryResult<Option<Vec<String>>> {
    let kept: Option<Option<String>> = form_answers::table
        .find(key)
        .filter(form_answers::session_id.eq(session_id))
        .select(form_answers::codes)
        .get_result(conn)
        .optional()?;
    Ok(kept
        .flatten()
        .map(|text| text.lines().map(str::to_owned).collect()))
}
