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
}

#[derive(Debug, thiserror::Error)]
#[error("{name}={value:?} is not valid: {reason}")]
pub struct ConfigError {
    name: &'static str,
    value: String,
    reason: String,
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
    ("DB_POOL_SIZE", "8", "database connections kept open"),
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
        Ok(Config {
            database_url: get("DATABASE_URL"),
            bind_addr,
            base_url,
            detour_factor,
            code_prefix,
            db_pool_size,
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
