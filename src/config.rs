//! Every setting, read once from the environment, with its default in one place.

use std::net::SocketAddr;

#[derive(Debug, Clone)]
pub struct Config {
    /// `postgres://...` for PostgreSQL, anything else is a SQLite file path.
    pub database_url: String,
    pub bind_addr: SocketAddr,
    /// The origin printed in QR codes, without a trailing slash.
    pub base_url: String,
    pub detour_factor: f64,
    /// The letters before every short code, e.g. `ZW` in `ZW-7K3M-QD9A`.
    pub code_prefix: String,
    /// Connections kept open to the database.
    pub db_pool_size: u32,
    /// The longest a request's body may take to arrive.
    pub body_timeout: std::time::Duration,
    /// Mail transport, alert thresholds and schedules.
    pub mail: crate::mail::Settings,
    /// The loop's GS1 company prefix: containers then have GRAIs and Digital Link QR codes.
    pub gs1: Option<crate::domain::gs1::CompanyPrefix>,
    /// Proxies whose `X-Forwarded-For` names the client (for counting failed sign-ins).
    pub trusted_proxies: Vec<crate::http::throttle::Proxy>,
}

#[derive(Debug, thiserror::Error)]
#[error("{name}={value:?} is not valid: {reason}")]
pub struct ConfigError {
    name: &'static str,
    value: String,
    reason: String,
}

impl ConfigError {
    pub fn new(name: &'static str, value: &str, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            name,
            value: value.to_owned(),
            reason: reason.into(),
        }
    }
}

pub const DEFAULTS: &[(&str, &str, &str)] = &[
    (
        "DATABASE_URL",
        "boucle.db",
        "a postgres:// URL, or else the path of the SQLite file",
    ),
    (
        "BIND_ADDR",
        "127.0.0.1:8080",
        "the address and port the server listens on",
    ),
    (
        "BASE_URL",
        "http://{BIND_ADDR}",
        "the public origin printed in QR codes",
    ),
    (
        "DETOUR_FACTOR",
        "1.3",
        "road km per great-circle km, when a leg has no route",
    ),
    ("CODE_PREFIX", "BC", "the letters before every short code"),
    (
        "GS1_COMPANY_PREFIX",
        "",
        "the loop's GS1 company prefix (4 to 11 digits): GRAIs and GS1 Digital Link QR codes",
    ),
    ("DB_POOL_SIZE", "8", "database connections kept open"),
    (
        "BODY_TIMEOUT_SECS",
        "60",
        "the longest a request's body may take to arrive; a slower one is answered 408",
    ),
    (
        "TRUSTED_PROXIES",
        "",
        "addresses or networks of the reverse proxies whose X-Forwarded-For names the client, e.g. 127.0.0.1,10.0.0.0/8",
    ),
    (
        "SMTP_URL",
        "",
        "smtp://host:port or smtps://user:pass@host; empty writes mails as .eml files",
    ),
    (
        "MAIL_DIR",
        "mail",
        "the folder of .eml files when SMTP_URL is empty",
    ),
    (
        "MAIL_FROM",
        "Boucle <boucle@localhost>",
        "the sender of every mail",
    ),
    (
        "MAIL_MAX_ATTEMPTS",
        "8",
        "tries before a mail is given up as failed",
    ),
    (
        "MAIL_RETRY_SECS",
        "30",
        "wait after a first failed try; doubled after each, at most an hour",
    ),
    (
        "MAIL_POLL_SECS",
        "5",
        "how often the sender looks for mail to deliver",
    ),
    (
        "ALERT_SWEEP_SECS",
        "60",
        "how often alerts that depend on time are checked",
    ),
    (
        "ALERT_COLLECT_MIN_DIRTY",
        "100",
        "dirty containers at a shop that call for a collection",
    ),
    (
        "ALERT_COLLECT_MAX_DAYS",
        "7",
        "days the oldest dirty container may wait at a shop",
    ),
    (
        "ALERT_SHIPMENT_OVERDUE_HOURS",
        "48",
        "hours after which a shipment not received is overdue",
    ),
    (
        "ALERT_WASH_REJECT_SHARE",
        "0.1",
        "share of a wash batch rejected above which coordinators hear of it",
    ),
    (
        "DIGEST_HOUR_UTC",
        "6",
        "hour (UTC) of the day after a week or month when its digest is sent",
    ),
    (
        "RUST_LOG",
        "info",
        "log filter (tracing's EnvFilter syntax)",
    ),
];

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests can give their own.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| default(name))
        };
        let bind_text = get("BIND_ADDR");
        let bind_addr: SocketAddr = bind_text.parse().map_err(|e| ConfigError {
            name: "BIND_ADDR",
            value: bind_text.clone(),
            reason: format!("{e}; give host:port, e.g. 127.0.0.1:8080"),
        })?;
        let base_url = lookup("BASE_URL")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| format!("http://{bind_addr}"));
        let base_url = base_url.trim_end_matches('/').to_owned();
        url::Url::parse(&base_url).map_err(|e| ConfigError {
            name: "BASE_URL",
            value: base_url.clone(),
            reason: format!("{e}; give an origin such as https://boucle.example.org"),
        })?;
        let detour_text = get("DETOUR_FACTOR");
        let detour_factor = detour_text
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && *f >= 1.0)
            .ok_or_else(|| ConfigError {
                name: "DETOUR_FACTOR",
                value: detour_text.clone(),
                reason: "give a number of at least 1, e.g. 1.3".into(),
            })?;
        let code_prefix = get("CODE_PREFIX").to_ascii_uppercase();
        if code_prefix.len() > 6 || !code_prefix.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ConfigError {
                name: "CODE_PREFIX",
                value: code_prefix,
                reason: "give up to 6 letters or digits, e.g. ZW".into(),
            });
        }
        let pool_text = get("DB_POOL_SIZE");
        let db_pool_size = pool_text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=256).contains(n))
            .ok_or_else(|| ConfigError {
                name: "DB_POOL_SIZE",
                value: pool_text.clone(),
                reason: "give a whole number from 1 to 256".into(),
            })?;
        let body_text = get("BODY_TIMEOUT_SECS");
        let body_timeout = body_text
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=3600).contains(n))
            .map(std::time::Duration::from_secs)
            .ok_or_else(|| ConfigError {
                name: "BODY_TIMEOUT_SECS",
                value: body_text.clone(),
                reason: "give a whole number of seconds from 1 to 3600".into(),
            })?;
        let mail = crate::mail::Settings::from_lookup(&get)?;
        let gs1_text = get("GS1_COMPANY_PREFIX");
        let gs1 = Some(gs1_text.trim())
            .filter(|t| !t.is_empty())
            .map(|t| {
                crate::domain::gs1::CompanyPrefix::parse(t).map_err(|e| {
                    ConfigError::new(
                        "GS1_COMPANY_PREFIX",
                        &gs1_text,
                        format!("{e}; give the prefix GS1 assigned to the loop, e.g. 3770012"),
                    )
                })
            })
            .transpose()?;
        let trusted_proxies = crate::http::throttle::Proxy::parse_list(&get("TRUSTED_PROXIES"))?;
        Ok(Config {
            mail,
            gs1,
            trusted_proxies,
            database_url: get("DATABASE_URL"),
            bind_addr,
            base_url,
            detour_factor,
            code_prefix,
            db_pool_size,
            body_timeout,
        })
    }
}

fn default(name: &str) -> String {
    DEFAULTS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, v, _)| (*v).to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_give_the_embedded_setup() {
        let c = Config::from_lookup(|_| None).expect("defaults are valid");
        assert_eq!(c.database_url, "boucle.db");
        assert_eq!(c.bind_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(c.base_url, "http://127.0.0.1:8080");
        assert_eq!(c.detour_factor, 1.3);
        assert_eq!(c.code_prefix, "BC");
    }

    #[test]
    fn a_bad_value_names_the_setting() {
        let err = Config::from_lookup(|n| (n == "DETOUR_FACTOR").then(|| "fast".to_owned()))
            .expect_err("refused");
        assert_eq!(
            err.to_string(),
            "DETOUR_FACTOR=\"fast\" is not valid: give a number of at least 1, e.g. 1.3"
        );
    }
}
