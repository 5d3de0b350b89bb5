//! Adding and listing users: the rules the command line and the management page share.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::{self, AuditAction, By};
use super::auth::{find_user_by_email, insert_user};
use super::catalog::find_site;
use super::models::User;
use super::scans::parse_kind;
use super::schema::users;
use super::DbConnection;
use crate::domain::roles::Role;
use crate::mail::Lang;

/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 8;

pub struct NewUser<'a> {
    pub email: &'a str,
    pub role: Role,
    pub site_id: Option<&'a str>,
    pub language: Lang,
    pub password: &'a str,
}

/// Why a user cannot be added; each caller says it in its own words.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Not an e-mail address mail can be sent to.
    Email(String),
    ShortPassword,
    Taken(String),
    /// The role works at one site and none was given.
    NeedsSite(Role),
    /// The role works across sites and a site was given.
    NoSite(Role),
    UnknownSite(String),
    /// The site is of a kind the role does not work at: (site name, site kind).
    WrongSite(Role, String, String),
}

/// Adds the user, or says why not; the audit log says who did.
pub fn add(
    conn: &mut DbConnection,
    new: &NewUser,
    by: &By,
    now: NaiveDateTime,
) -> anyhow::Result<Result<User, Refusal>> {
    let email = new.email.trim().to_lowercase();
    if !crate::domain::valid_email(&email) {
        return Ok(Err(Refusal::Email(new.email.to_owned())));
    }
    if new.password.chars().count() < MIN_PASSWORD {
        return Ok(Err(Refusal::ShortPassword));
    }
    if find_user_by_email(conn, &email)?.is_some() {
        return Ok(Err(Refusal::Taken(email)));
    }
    let role = new.role;
    match (role.is_site_bound(), new.site_id) {
        (true, None) => return Ok(Err(Refusal::NeedsSite(role))),
        (false, Some(_)) => return Ok(Err(Refusal::NoSite(role))),
        (true, Some(id)) => {
            let Some(found) = find_site(conn, id)? else {
                return Ok(Err(Refusal::UnknownSite(id.to_owned())));
            };
            if !role.fits_site(parse_kind(&found)?) {
                return Ok(Err(Refusal::WrongSite(role, found.name, found.kind)));
            }
        }
        (false, None) => {}
    }
    let user = User {
        id: uuid::Uuid::now_v7().to_string(),
        email,
        role: role.as_str().to_owned(),
        site_id: new.site_id.map(str::to_owned),
        password_hash: super::auth::hash_password(new.password)?,
        created_at: now,
    };
    insert_user(conn, &user)?;
    crate::mail::prefs::set(conn, &user.id, Some(new.language), &[], now)?;
    let detail = match &user.site_id {
        Some(site) => format!("role {}, site {site}", user.role),
        None => format!("role {}", user.role),
    };
    audit::record(
        conn,
        AuditAction::UserAdded,
        by,
        Some(&user.email),
        &detail,
        now,
    )?;
    Ok(Ok(user))
}

/// Every user, by e-mail.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<User>> {
    users::table
        .order(users::email)
        .select(User::as_select())
        .load(conn)
}
