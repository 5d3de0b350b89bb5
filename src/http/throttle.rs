//! Failed sign-ins, on the page and for tokens alike, counted per e-mail and per client
//! address over a window: past the limit, signing in waits (429). The client address is the
//! connection's, or, when the connection comes from a trusted proxy, the last address that
//! proxy chain names in `X-Forwarded-For` that is not itself a trusted proxy.

use std::net::IpAddr;

use std::sync::OnceLock;

use actix_web::HttpRequest;
use chrono::{NaiveDateTime, TimeDelta};

use super::{auth_lookup, write, State};
use crate::config::ConfigError;
use crate::db::audit::{self, AuditAction, By};
use crate::db::auth::{find_user_by_email, hash_password, random_secret, verify_password};
use crate::db::models::User;
use crate::db::sessions;
use crate::error::AppError;

/// A client's failed attempts, whatever the e-mail, counted over this window.
pub const WINDOW: TimeDelta = TimeDelta::minutes(15);
pub const MAX_PER_CLIENT: usize = 20;
/// An e-mail's failures from one client: past the first few, each makes the next attempt
/// wait twice as long as the one before, up to an hour; they are forgotten after a day or by
/// a success from that client. A stranger elsewhere never holds an account up.
pub const FREE_PER_PAIR: usize = 4;
pub const LONGEST_WAIT: TimeDelta = TimeDelta::hours(1);
pub const FORGET: TimeDelta = TimeDelta::days(1);

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

/// The key a client's failures are counted under: its address, or for IPv6 its /64 network,
/// which one host or one customer usually has whole (a client could otherwise change its
/// address at each attempt).
pub fn counted(client: &str) -> String {
    match client.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let net = std::net::Ipv6Addr::from_bits(v6.to_bits() & !((1u128 << 64) - 1));
            format!("{net}/64")
        }
        Ok(IpAddr::V6(v6)) => v6
            .to_ipv4_mapped()
            .map_or_else(String::new, |v4| v4.to_string()),
        _ => client.to_owned(),
    }
}

/// When an attempt may be made again, if not now: `pair` holds the attempts of this e-mail
/// from this client since [`FORGET`], `client` those from this client since [`WINDOW`],
/// each oldest first.
pub fn wait_until(
    pair: &[NaiveDateTime],
    client: &[NaiveDateTime],
    now: NaiveDateTime,
) -> Option<NaiveDateTime> {
    let by_pair = pair.len().checked_sub(FREE_PER_PAIR + 1).map(|past| {
        // 1 minute after the fifth failure, 2 after the sixth, and so on.
        let doublings = u32::try_from(past).unwrap_or(u32::MAX).min(6);
        let wait = TimeDelta::minutes(1 << doublings).min(LONGEST_WAIT);
        pair[pair.len() - 1] + wait
    });
    let by_client =
        (client.len() >= MAX_PER_CLIENT).then(|| client[client.len() - MAX_PER_CLIENT] + WINDOW);
    [by_pair, by_client]
        .into_iter()
        .flatten()
        .filter(|until| *until > now)
        .max()
}

/// What a sign-in attempt may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// Check the password: the attempt is counted already, as a failure until it succeeds.
    Go,
    /// Too many failures: refused without a check, until then.
    Wait(NaiveDateTime),
}

/// Counts an attempt to sign in as `email` from `client` through `way` (the page, or a
/// token) before its password is checked, so that parallel attempts cannot all pass the
/// count; a refused one is written in the audit log.
pub async fn reserve(
    state: &State,
    way: &'static str,
    email: &str,
    client: &str,
    now: NaiveDateTime,
) -> Result<Attempt, AppError> {
    let (email, client, key) = (email.to_owned(), client.to_owned(), counted(client));
    write(state, move |conn| {
        sessions::lock_attempts(conn)?;
        let (pair, by_client) =
            sessions::failures_since(conn, &email, &key, now - FORGET.max(WINDOW))?;
        let by_client: Vec<_> = by_client
            .into_iter()
            .filter(|at| *at > now - WINDOW)
            .collect();
        if let Some(until) = wait_until(&pair, &by_client, now) {
            let detail = format!("{way}: too many failed sign-ins");
            let by = By::nobody(&client);
            audit::record(
                conn,
                AuditAction::SignInRefused,
                &by,
                Some(&email),
                &detail,
                now,
            )?;
            return Ok(Attempt::Wait(until));
        }
        sessions::reserve_attempt(conn, &email, &key, now, now - FORGET.max(WINDOW))?;
        Ok(Attempt::Go)
    })
    .await
}

/// A job for the threads that check passwords.
type Check = Box<dyn FnOnce() + Send>;

/// Runs `f`, an argon2 hash or check, on the threads kept for them: as many as the machine has
/// cores, so that a burst of sign-ins waits its turn. argon2id takes 19 MiB and most of a core
/// for each check; run on the blocking pool, where any of dozens of threads could take one,
/// each thread's allocator kept its 19 MiB afterwards, and a burst of 300 from 300 addresses
/// left the server at 710 MB (docs/RELIABILITY.md).
async fn on_checker<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    static JOBS: OnceLock<std::sync::mpsc::Sender<Check>> = OnceLock::new();
    let jobs = JOBS.get_or_init(|| {
        let (send, receive) = std::sync::mpsc::channel::<Check>();
        let receive = std::sync::Arc::new(std::sync::Mutex::new(receive));
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        for n in 0..cores {
            let receive = receive.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-check-{n}"))
                .spawn(move || loop {
                    // A poisoned lock only means another checker panicked; the queue is sound.
                    let next = match receive.lock() {
                        Ok(r) => r.recv(),
                        Err(poisoned) => poisoned.into_inner().recv(),
                    };
                    match next {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password-check thread");
            }
        }
        send
    });
    let (done, answer) = tokio::sync::oneshot::channel();
    jobs.send(Box::new(move || {
        // The asker may have gone (its connection closed): nothing to answer then.
        let _ = done.send(f());
    }))
    .map_err(|_| AppError::Internal(anyhow::anyhow!("the password-check threads are gone")))?;
    answer
        .await
        .map_err(|_| AppError::Internal(anyhow::anyhow!("a password check did not answer")))
}

/// The user of `email` if `password` is theirs, checked on the password threads
/// ([`on_checker`]); an unknown e-mail costs the same time as a wrong password, so that
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
                let hash = on_checker(|| hash_password(&random_secret())).await??;
                UNKNOWN.get_or_init(|| hash).clone()
            }
        },
    };
    let password = password.to_owned();
    let right = on_checker(move || verify_password(&password, &hash)).await?;
    Ok(user.filter(|_| right))
}

/// Whole minutes from `now` to `until`, rounded up.
pub fn minutes_left(until: NaiveDateTime, now: NaiveDateTime) -> i64 {
    ((until - now).num_seconds() + 59) / 60
}

/// Writes a failed sign-in through `way` in the audit log; its attempt, counted by
/// [`reserve`], stays a failure.
pub async fn failed(
    state: &State,
    way: &'static str,
    email: &str,
    client: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let detail = format!("{way}: wrong e-mail or password");
    let (email, client) = (email.to_owned(), client.to_owned());
    write(state, move |conn| {
        let by = By::nobody(&client);
        audit::record(
            conn,
            AuditAction::SignInFailed,
            &by,
            Some(&email),
            &detail,
            now,
        )?;
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
    fn an_accounts_failures_from_one_client_wait_longer_and_longer() {
        let t0 = chrono::NaiveDate::from_ymd_opt(2026, 12, 4)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .expect("a time");
        let at = |minutes: i64| t0 + TimeDelta::minutes(minutes);
        let fails = |n: i64| (0..n).map(at).collect::<Vec<_>>();
        // Four failures cost nothing; the fifth one minute, then 2, 4 ... up to an hour.
        assert_eq!(wait_until(&fails(4), &[], at(4)), None);
        assert_eq!(wait_until(&fails(5), &[], at(4)), Some(at(5)));
        assert_eq!(wait_until(&fails(6), &[], at(5)), Some(at(7)));
        assert_eq!(wait_until(&fails(7), &[], at(6)), Some(at(10)));
        assert_eq!(wait_until(&fails(40), &[], at(39)), Some(at(99)));
        assert_eq!(
            wait_until(&fails(5), &[], at(5)),
            None,
            "the minute is over"
        );
        // Twenty from one client in the window, whatever the e-mails, a second apart: 15
        // minutes from the first of them.
        let burst: Vec<_> = (0..20).map(|s| t0 + TimeDelta::seconds(s)).collect();
        let now = t0 + TimeDelta::seconds(20);
        assert_eq!(wait_until(&[], &burst, now), Some(at(15)));
        assert_eq!(wait_until(&[], &burst[1..], now), None);
    }

    #[test]
    fn failures_count_per_address_or_ipv6_network() {
        assert_eq!(counted("198.51.100.7"), "198.51.100.7");
        assert_eq!(counted("2001:db8:1:2:aaaa::5"), "2001:db8:1:2::/64");
        assert_eq!(counted("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64");
        assert_eq!(counted("::ffff:192.0.2.1"), "192.0.2.1");
        assert_eq!(counted(""), "");
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
