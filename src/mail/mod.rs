//! Mail: alerts and digests queued in an outbox in the transaction of the change that
//! caused them, then delivered through lettre by the sender of `boucle serve`.
//! See docs/MAIL.md for every mail, its trigger and its recipients.

pub mod alerts;
pub mod digest;
pub mod operations;
pub mod outbox;
pub mod prefs;
pub mod sender;
pub mod texts;
pub mod thresholds;

use std::time::Duration;

use crate::config::ConfigError;

crate::domain::words::text_enum!(
    /// The kinds of mail, each one a user may turn off.
    Kind {
        LowStock = "low_stock",
        CollectionNeeded = "collection_needed",
        ShipmentOverdue = "shipment_overdue",
        WashRejects = "wash_rejects",
        DigestWeekly = "digest_weekly",
        DigestMonthly = "digest_monthly",
    }
);

/// The languages mails are written in; French unless the user chose English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Fr,
    En,
}

impl Lang {
    pub fn parse(text: &str) -> Option<Lang> {
        match text {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }
}

/// Mail settings, read with the rest of the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// None writes `.eml` files in `mail_dir`.
    pub smtp_url: Option<String>,
    pub mail_dir: String,
    pub from: lettre::message::Mailbox,
    pub max_attempts: i64,
    pub retry: Duration,
    pub poll: Duration,
    pub sweep: Duration,
    pub collect_min_dirty: i64,
    pub collect_max_days: f64,
    pub shipment_overdue_hours: f64,
    pub reject_share: f64,
    pub digest_hour: u32,
}

impl Settings {
    pub fn from_lookup(get: &dyn Fn(&str) -> String) -> Result<Settings, ConfigError> {
        let smtp_url = Some(get("SMTP_URL")).filter(|u| !u.trim().is_empty());
        if let Some(u) = &smtp_url {
            lettre::SmtpTransport::from_url(u).map_err(|e| {
                ConfigError::new(
                    "SMTP_URL",
                    &crate::db::redact(u),
                    format!("{e}; give e.g. smtp://127.0.0.1:2525 or smtps://user:pass@mail.example.org"),
                )
            })?;
        }
        let from_text = get("MAIL_FROM");
        let from = from_text.parse().map_err(|e| {
            ConfigError::new(
                "MAIL_FROM",
                &from_text,
                format!("{e}; give an address, e.g. Boucle <boucle@example.org>"),
            )
        })?;
        let number = |name: &'static str, min: f64, max: f64| -> Result<f64, ConfigError> {
            let text = get(name);
            text.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= min && *v <= max)
                .ok_or_else(|| {
                    ConfigError::new(name, &text, format!("give a number from {min} to {max}"))
                })
        };
        let secs = |name: &'static str| number(name, 0.01, 86_400.0).map(Duration::from_secs_f64);
        Ok(Settings {
            smtp_url,
            mail_dir: get("MAIL_DIR"),
            from,
            max_attempts: number("MAIL_MAX_ATTEMPTS", 1.0, 100.0)? as i64,
            retry: secs("MAIL_RETRY_SECS")?,
            poll: secs("MAIL_POLL_SECS")?,
            sweep: secs("ALERT_SWEEP_SECS")?,
            collect_min_dirty: number("ALERT_COLLECT_MIN_DIRTY", 1.0, 1e9)? as i64,
            collect_max_days: number("ALERT_COLLECT_MAX_DAYS", 0.0, 3650.0)?,
            shipment_overdue_hours: number("ALERT_SHIPMENT_OVERDUE_HOURS", 0.0, 87_600.0)?,
            reject_share: number("ALERT_WASH_REJECT_SHARE", 0.0, 1.0)?,
            digest_hour: number("DIGEST_HOUR_UTC", 0.0, 23.0)? as u32,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn defaults_write_files_and_a_bad_setting_is_named() {
        let c = Config::from_lookup(|_| None).expect("defaults are valid");
        assert_eq!(c.mail.smtp_url, None);
        assert_eq!(c.mail.mail_dir, "mail");
        assert_eq!(c.mail.from.email.to_string(), "boucle@localhost");
        assert_eq!(c.mail.max_attempts, 8);
        assert_eq!(c.mail.collect_min_dirty, 100);
        let err = Config::from_lookup(|n| (n == "SMTP_URL").then(|| "mail.example.org".into()))
            .expect_err("not a URL");
        assert!(
            err.to_string()
                .starts_with("SMTP_URL=\"mail.example.org\" is not valid"),
            "{err}"
        );
        let err = Config::from_lookup(|n| (n == "ALERT_WASH_REJECT_SHARE").then(|| "10%".into()))
            .expect_err("not a share");
        assert_eq!(
            err.to_string(),
            "ALERT_WASH_REJECT_SHARE=\"10%\" is not valid: give a number from 0 to 1"
        );
    }
}
