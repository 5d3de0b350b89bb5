//! What each user chooses to receive, in which language, and the secret of their
//! unsubscribe links.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{Kind, Lang};
use crate::db::schema::{mail_opt_outs, users};
use crate::db::DbConnection;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Prefs {
    pub email: String,
    pub language: String,
    /// Every kind of mail, true when the user receives it (if their role gets it at all).
    pub mails: BTreeMap<&'static str, bool>,
}

pub fn get(conn: &mut DbConnection, user_id: &str) -> QueryResult<Prefs> {
    let (email, language): (String, String) = users::table
        .find(user_id)
        .select((users::email, users::language))
        .get_result(conn)?;
    let off: Vec<String> = mail_opt_outs::table
        .filter(mail_opt_outs::user_id.eq(user_id))
        .select(mail_opt_outs::kind)
        .load(conn)?;
    Ok(Prefs {
        email,
        language,
        mails: Kind::ALL
            .iter()
            .map(|k| (k.as_str(), !off.iter().any(|o| o == k.as_str())))
            .collect(),
    })
}

/// Sets the language and turns kinds on or off; kinds not named are left as they are.
pub fn set(
    conn: &mut DbConnection,
    user_id: &str,
    language: Option<Lang>,
    mails: &[(Kind, bool)],
    now: NaiveDateTime,
) -> QueryResult<Prefs> {
    if let Some(lang) = language {
        diesel::update(users::table.find(user_id))
            .set(users::language.eq(lang.as_str()))
            .execute(conn)?;
    }
    for (kind, on) in mails {
        let row = mail_opt_outs::table.find((user_id, kind.as_str()));
        diesel::delete(row).execute(conn)?;
        if !on {
            diesel::insert_into(mail_opt_outs::table)
                .values((
                    mail_opt_outs::user_id.eq(user_id),
                    mail_opt_outs::kind.eq(kind.as_str()),
                    mail_opt_outs::created_at.eq(now),
                ))
                .execute(conn)?;
        }
    }
    get(conn, user_id)
}

/// The user's unsubscribe secret, made on first use.
pub fn unsubscribe_token(conn: &mut DbConnection, user_id: &str) -> QueryResult<String> {
    let found: Option<String> = users::table
        .find(user_id)
        .select(users::unsubscribe_token)
        .get_result(conn)?;
    if let Some(token) = found {
        return Ok(token);
    }
    let token = crate::db::auth::random_secret();
    diesel::update(users::table.find(user_id))
        .set(users::unsubscribe_token.eq(&token))
        .execute(conn)?;
    Ok(token)
}

/// Turns `kind` (or every kind) off for the owner of `token`. Returns their e-mail, or none
/// when no user has this token.
pub fn unsubscribe(
    conn: &mut DbConnection,
    token: &str,
    kind: Option<Kind>,
    now: NaiveDateTime,
) -> QueryResult<Option<String>> {
    let user: Option<(String, String)> = users::table
        .filter(users::unsubscribe_token.eq(token))
        .select((users::id, users::email))
        .get_result(conn)
        .optional()?;
    let Some((user_id, email)) = user else {
        return Ok(None);
    };
    let kinds: Vec<(Kind, bool)> = match kind {
        Some(k) => vec![(k, false)],
        None => Kind::ALL.iter().map(|k| (*k, false)).collect(),
    };
    set(conn, &user_id, None, &kinds, now)?;
    Ok(Some(email))
}
