//! Failed sign-ins, on the page and for tokens alike, counted per e-mail and per client
//! address over a window: past the limit, signing in waits (429). The client address is the
//! connection's, or, when the connection comes from a trusted proxy, the last address that
//! proxy chain names in `X-Forwarded-For` that is not itself a trusted proxy.

use std::net::IpAddr;

use std::sync::OnceLock;

use actix_web::{web, HttpRequest};
use chrono::{NaiveDateTime, TimeDelta};

use super::{auth_lookup, write, State};
use crate::config::ConfigError;
use crate::db::audit::{self, AuditAction, By};
use crate::db::auth::{find_user_by_email, hash_password, random_secret, verify_password};
use crate::db::models::User;
use crate::db::sessions;
use crate::error::AppError;

/// Failed attempts counted over this window.
pub const WINDOW: TimeDelta = TimeDelta::minutes(15);
pub const MAX_PER_EMAIL: usize = 5;
pub const MAX_PER_CLIENT: usize = 20;

/// An address or a network (`10.0.0.0/8`, `::1`) whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proxy {
    net: IpAddr,
    bits: u32,
}

impl Proxy {
    /// Reads `TRUSTED_PROXIES`: addresses or networks separated by commas.
    pub fn parse_list(text: &str) -> Result<Vec<Proxy>, ConfigError> {
        text.split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| {
                let (ip, bits) = t.split_once('/').unwrap_or((t, ""));
                let net: IpAddr = ip.parse().ok().ok_or_else(|| wrong(text, t))?;
                let most = if net.is_ipv4() { 32 } else { 128 };
                let bits = match bits {
                    "" => most,
                    b => b
                        .parse()
                        .ok()
                        .filter(|b| *b <= most)
                        .ok_or_else(|| wrong(text, t))?,
                };
                Ok(Proxy { net, bits })
            })
            .collect()
    }

    fn holds(&self, ip: IpAddr) -> bool {
        let (net, ip, width) = match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(i)) => {
                (u128::from(n.to_bits()), u128::from(i.to_bits()), 32)
            }
            (IpAddr::V6(n), IpAddr::V6(i)) => (n.to_bits(), i.to_bits(), 128),
            _ => return false,
        };
        let shift = width - self.bits;
        shift >= 128 || (net >> shift) == (ip >> shift)
    }
}

fn wrong(text: &str, item: &str) -> ConfigError {
    ConfigError::new(
        "TRUSTED_PROXIES",
        text,
        format!("{item:?} is neither an address nor a network; give e.g. 127.0.0.1,10.0.0.0/8"),
    )
}

/// The address of the client that made `req`, as far as the trusted proxies vouch for it.
pub fn client_address(req: &HttpRequest, trusted: &[Proxy]) -> String {
    let Some(mut client) = req.peer_addr().map(|a| a.ip()) else {
        return String::new();
    };
    let trusts = |ip: IpAddr| trusted.iter().any(|p| p.holds(ip));
    if trusts(client) {
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for hop in forwarded.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(ip) if trusts(ip) => client = ip,
                Ok(ip) => {
                    client = ip;
                    break;
                }
                Err(_) => break,
            }
        }
    }
    client.to_string()
}

/// When signing in as `email` from `client` may be tried again, if not now.
pub async fn locked_until(
    state: &State,
    email: &str,
    client: &str,
    now: NaiveDateTime,
) -> Result<Option<NaiveDateTime>, AppError> {
    let (email, client) = (email.to_owned(), client.to_owned());
    let (by_email, by_client) = auth_lookup(state, move |conn| {
        Ok(sessions::failures_since(
            conn,
            &email,
            &client,
            now - WINDOW,
        )?)
    })
    .await?;
    Ok([(by_email, MAX_PER_EMAIL), (by_client, MAX_PER_CLIENT)]
        .into_iter()
        .filter(|(fails, max)| fails.len() >= *max)
        .map(|(fails, max)| fails[fails.len() - max] + WINDOW)
        .max())
}

/// The user of `email` if `password` is theirs. Off the async workers, as argon2 is
/// deliberately slow; an unknown e-mail costs the same time as a wrong password, so that
/// timing does not tell which e-mails have accounts.
pub async fn verify(state: &State, email: &str, password: &str) -> Result<Option<User>, AppError> {
    static UNKNOWN: OnceLock<String> = OnceLock::new();
    let user = {
        let email = email.to_owned();
        auth_lookup(state, move |conn| Ok(find_user_by_email(conn, &email)?)).await?
    };
    let hash = match &user {
        Some(u) => u.password_hash.clone(),
        None => match UNKNOWN.get() {
            Some(hash) => hash.clone(),
            None => {
                let hash = web::block(|| hash_password(&random_secret())).await??;
                UNKNOWN.get_or_init(|| hash).clone()
            }
        },
    };
    let password = password.to_owned();
    let right = web::block(move || verify_password(&password, &hash)).await?;
    Ok(user.filter(|_| right))
}

/// Whole minutes from `now` to `until`, rounded up.
pub fn minutes_left(until: NaiveDateTime, now: NaiveDateTime) -> i64 {
    ((until - now).num_seconds() + 59) / 60
}

/// A sign-in that did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsuccessful {
    /// A wrong e-mail or password: counted towards the wait.
    Failed,
    /// Refused without a try, for too many failures.
    Refused,
}

/// Writes a sign-in through `way` (the page, or a token) that did not happen in the audit
/// log; a failure also counts towards the wait.
pub async fn unsuccessful(
    state: &State,
    what: Unsuccessful,
    way: &'static str,
    email: &str,
    client: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let (action, detail) = match what {
        Unsuccessful::Failed => (
            AuditAction::SignInFailed,
            format!("{way}: wrong e-mail or password"),
        ),
        Unsuccessful::Refused => (
            AuditAction::SignInRefused,
            format!("{way}: too many failed sign-ins"),
        ),
    };
    let (email, client) = (email.to_owned(), client.to_owned());
    write(state, move |conn| {
        if what == Unsuccessful::Failed {
            sessions::record_failure(conn, &email, &client, now, now - WINDOW)?;
        }
        let by = By::nobody(&client);
        audit::record(conn, action, &by, Some(&email), &detail, now)?;
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn from(peer: &str, forwarded: Option<&str>, trusted: &str) -> String {
        let mut req = TestRequest::default().peer_addr(peer.parse().expect("peer"));
        if let Some(f) = forwarded {
            req = req.insert_header(("X-Forwarded-For", f));
        }
        client_address(
            &req.to_http_request(),
            &Proxy::parse_list(trusted).expect("list"),
        )
    }

    #[test]
    fn only_trusted_proxies_name_the_client() {
        // No proxy trusted: the header is anyone's to write, and ignored.
        assert_eq!(from("203.0.113.9:5000", Some("1.2.3.4"), ""), "203.0.113.9");
        // A trusted proxy: the last address before it.
        assert_eq!(
            from("10.0.0.2:5000", Some("198.51.100.7"), "10.0.0.0/8"),
            "198.51.100.7"
        );
        // A forged first hop is skipped: only what the trusted chain appended counts.
        assert_eq!(
            from(
                "10.0.0.2:5000",
                Some("1.1.1.1, 198.51.100.7, 10.0.0.3"),
                "10.0.0.0/8"
            ),
            "198.51.100.7"
        );
        // A peer outside the trusted networks is the client, whatever it says.
        assert_eq!(
            from("192.0.2.1:5000", Some("1.1.1.1"), "10.0.0.0/8"),
            "192.0.2.1"
        );
        assert_eq!(
            from("[::1]:5000", Some("2001:db8::5"), "::1"),
            "2001:db8::5"
        );
    }

    #[test]
    fn a_wrong_proxy_list_is_explained() {
        let e = Proxy::parse_list("10.0.0.0/8, proxy.local").expect_err("refused");
        assert_eq!(
            e.to_string(),
            "TRUSTED_PROXIES=\"10.0.0.0/8, proxy.local\" is not valid: \"proxy.local\" is neither an address nor a network; give e.g. 127.0.0.1,10.0.0.0/8"
        );
        assert!(Proxy::parse_list("10.0.0.0/33").is_err());
    }
}
