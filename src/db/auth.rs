//! Users, password hashes and API tokens. Tokens are shown once and stored as SHA-256.

use anyhow::Context;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::audit::{self, AuditAction, By};
use super::models::{ApiToken, User};
use super::schema::{api_tokens, users};
use super::DbConnection;
use crate::domain::roles::{Actor, Role};

/// Argon2id with the OWASP minimum (19 MiB, 2 passes, 1 lane): the crate's defaults.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(e) => {
            tracing::error!(error = %e, "stored password hash cannot be read");
            false
        }
    }
}

pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(2 * digest.len());
    for b in digest {
        hex.push(char::from(HEX[usize::from(b >> 4)]));
        hex.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    hex
}

pub fn find_user_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email.trim().to_lowercase()))
        .select(User::as_select())
        .get_result(conn)
        .optional()
}

/// Adds the user with their unsubscribe secret already made, so that no mail queued later
/// has to write the user's row: on PostgreSQL that write would wait on every transaction
/// whose events name the user, while holding what those transactions wait for.
pub fn insert_user(conn: &mut DbConnection, user: &User) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values((user, users::unsubscribe_token.eq(random_secret())))
        .execute(conn)
        .map(drop)
}

/// 32 random bytes from the system, in URL-safe base64.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Creates a token for the user and returns it; only its hash is kept. The audit log says
/// who made it.
pub fn create_token(
    conn: &mut DbConnection,
    user: &User,
    name: &str,
    by: &By,
    now: chrono::NaiveDateTime,
) -> QueryResult<String> {
    let token = format!("bcl_{}", random_secret());
    diesel::insert_into(api_tokens::table)
        .values(ApiToken {
            id: uuid::Uuid::now_v7().to_string(),
            user_id: user.id.clone(),
            name: name.to_owned(),
            token_hash: token_hash(&token),
            created_at: now,
            revoked_at: None,
        })
        .execute(conn)?;
    let detail = format!("token {name:?}");
    audit::record(
        conn,
        AuditAction::TokenCreated,
        by,
        Some(&user.email),
        &detail,
        now,
    )?;
    Ok(token)
}

/// The user a bearer token belongs to, if the token exists and is not revoked.
pub fn actor_for_token(
    conn: &mut DbConnection,
    token: &str,
) -> anyhow::Result<Option<(Actor, String)>> {
    let hash = token_hash(token);
    let found: Option<(String, User)> = crate::each_backend!(conn, c => api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(&hash))
        .filter(api_tokens::revoked_at.is_null())
        .select((api_tokens::id, User::as_select()))
        .get_result(c)
        .optional())?;
    let Some((token_id, user)) = found else {
        return Ok(None);
    };
    Ok(Some((actor_of(user)?, token_id)))
}

/// What a user may do, from their row.
pub fn actor_of(user: User) -> anyhow::Result<Actor> {
    let role = Role::parse(&user.role)
        .with_context(|| format!("user {} has an unknown role {:?}", user.id, user.role))?;
    Ok(Actor {
        user_id: user.id,
        email: user.email,
        role,
        site_id: user.site_id,
    })
}

/// Which of a user's tokens to revoke: the one with this id, or all of them with this name,
/// or all of them.
pub struct Revoke<'a> {
    pub user_id: &'a str,
    pub email: &'a str,
    pub token_id: Option<&'a str>,
    pub name: Option<&'a str>,
}

/// Revokes tokens and returns how many; the audit log says who did, when any was.
pub fn revoke_tokens(
    conn: &mut DbConnection,
    which: &Revoke,
    by: &By,
    now: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    let (user_id, token_id, name) = (which.user_id, which.token_id, which.name);
    let mut query = diesel::update(api_tokens::table)
        .filter(api_tokens::user_id.eq(user_id))
        .filter(api_tokens::revoked_at.is_null())
        .into_boxed();
    if let Some(id) = token_id {
        query = query.filter(api_tokens::id.eq(id));
    }
    if let Some(name) = name {
        query = query.filter(api_tokens::name.eq(name));
    }
    let n = query
        .set(api_tokens::revoked_at.eq(Some(now)))
        .execute(conn)?;
    if n > 0 {
        let detail = match (token_id, name) {
            (Some(_), _) => "the token of the request".to_owned(),
            (None, Some(name)) => format!("{n} token(s) named {name:?}"),
            (None, None) => format!("all {n} token(s)"),
        };
        audit::record(
            conn,
            AuditAction::TokenRevoked,
            by,
            Some(which.email),
            &detail,
            now,
        )?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// OWASP's password storage advice for argon2id: 19 MiB of memory, 2 iterations, one lane.
    #[test]
    fn passwords_are_hashed_with_argon2id_at_owasp_parameters() {
        let hash = hash_password("correct horse battery").expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        // Two hashes of one password differ by their salt.
        assert_ne!(hash, hash_password("correct horse battery").expect("hash"));
    }

    #[test]
    fn tokens_are_stored_as_their_sha256_in_hex() {
        // SHA-256 of "abc" (FIPS 180-2, appendix B.1).
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
