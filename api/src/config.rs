//! Settings, read once from the environment at start-up and passed down explicitly.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Every setting Beacon's server reads, with its default. The README's "Running in
/// production" section lists the same names.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `BEACON_BIND`, default `127.0.0.1:8080`.
    pub bind: String,
    /// `DATABASE_URL`, default the SQLite file `beacon.db`.
    pub database_url: Option<String>,
    /// `BEACON_JWT_SECRET`; required (≥ 32 bytes) in production.
    pub jwt_secret: Option<String>,
    /// `BEACON_ENV=production` turns on the production checks.
    pub production: bool,
    /// `BEACON_ADMIN_EMAIL` / `BEACON_ADMIN_PASSWORD`: the first admin account.
    pub admin_email: Option<String>,
    pub admin_password: Option<String>,
    /// `BEACON_TOKEN_TTL_SECONDS`, default 3600.
    pub token_ttl: Duration,
    /// `BEACON_LOG_FORMAT=json` for JSON logs; anything else is human-readable.
    pub json_logs: bool,
    /// `BEACON_WORKERS`, default: one per core.
    pub workers: Option<usize>,
    /// Email alerts: what raises them and how they are delivered.
    pub alerts: AlertSettings,
}

/// The `BEACON_ALERT*`, `BEACON_SMTP_URL`, `BEACON_MAIL_FROM` and `BEACON_PUBLIC_URL`
/// settings.
#[derive(Clone)]
pub struct AlertSettings {
    /// `BEACON_ALERTS=off` writes no alerts and runs no worker; default on.
    pub enabled: bool,
    /// `BEACON_SMTP_URL`: `smtp://host:port` (plain), `smtp://host:port?tls=required`
    /// (STARTTLS), `smtps://host:port` (TLS), credentials as `smtp://user:pass@host`.
    /// Unset: alerts are written as .eml files to `dir`.
    pub smtp_url: Option<String>,
    /// `BEACON_MAIL_FROM`, default `Beacon <beacon@localhost>`.
    pub mail_from: String,
    /// `BEACON_PUBLIC_URL`, where links in messages point; default `http://localhost:8080`.
    pub public_url: String,
    /// `BEACON_ALERT_DIR`; default `alerts/` beside the SQLite file, or in the working
    /// directory.
    pub dir: Option<PathBuf>,
    /// `BEACON_ALERT_EXTRA_RECIPIENTS`: comma-separated addresses told of every Red turn,
    /// way out of Red and funding cut, e.g. the portfolio office mailbox.
    pub extra_recipients: Vec<String>,
    /// `BEACON_ALERT_MAX_ATTEMPTS`, default 8: then an alert is failed, with its last error.
    pub max_attempts: u32,
    /// `BEACON_ALERT_LEASE_SECONDS`, default 120: how long a worker holds the alerts it
    /// claimed; a dead worker's alerts are sent by another after this.
    pub lease: Duration,
    /// `BEACON_ALERT_POLL_MS`, default 1000: how often an idle worker looks for alerts.
    pub poll: Duration,
    /// `BEACON_ALERT_BACKOFF_MS`, default 30000: the first retry's delay, doubling for
    /// each failure (with jitter) up to an hour.
    pub backoff: Duration,
    /// `BEACON_ALERT_BATCH`, default 20: alerts one worker claims at a time.
    pub batch: i64,
    /// `BEACON_REPORT_CADENCE_DAYS`, default 35: owners are reminded when a programme has
    /// had no status report for longer.
    pub cadence_days: i64,
}

impl std::fmt::Debug for AlertSettings {
    /// Everything but the SMTP password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertSettings")
            .field("enabled", &self.enabled)
            .field(
                "smtp_url",
                &self.smtp_url.as_deref().map(crate::mail::redact),
            )
            .field("mail_from", &self.mail_from)
            .field("public_url", &self.public_url)
            .field("dir", &self.dir)
            .field("extra_recipients", &self.extra_recipients)
            .field("max_attempts", &self.max_attempts)
            .field("lease", &self.lease)
            .field("poll", &self.poll)
            .field("backoff", &self.backoff)
            .field("batch", &self.batch)
            .field("cadence_days", &self.cadence_days)
            .finish()
    }
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            enabled: true,
            smtp_url: None,
            mail_from: "Beacon <beacon@localhost>".to_string(),
            public_url: "http://localhost:8080".to_string(),
            dir: None,
            extra_recipients: Vec::new(),
            max_attempts: 8,
            lease: Duration::from_secs(120),
            poll: Duration::from_millis(1000),
            backoff: Duration::from_millis(30_000),
            batch: 20,
            cadence_days: 35,
        }
    }
}

impl AlertSettings {
    fn from_env(var: &dyn Fn(&str) -> Option<String>) -> Result<Self, String> {
        let defaults = AlertSettings::default();
        let number = |name: &str, min: u64, max: u64, default: u64| -> Result<u64, String> {
            match var(name) {
                Some(text) => text
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (min..=max).contains(n))
                    .ok_or_else(|| {
                        format!("{name} must be a whole number from {min} to {max}, not '{text}'")
                    }),
                None => Ok(default),
            }
        };
        let enabled = match var("BEACON_ALERTS").map(|v| v.trim().to_ascii_lowercase()) {
            None => true,
            Some(v) if ["on", "true", "1", "yes"].contains(&v.as_str()) => true,
            Some(v) if ["off", "false", "0", "no"].contains(&v.as_str()) => false,
            Some(v) => return Err(format!("BEACON_ALERTS must be on or off, not '{v}'")),
        };
        let mut extra_recipients = Vec::new();
        for address in var("BEACON_ALERT_EXTRA_RECIPIENTS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            let email = beacon_core::Email::parse(address)
                .map_err(|e| format!("BEACON_ALERT_EXTRA_RECIPIENTS: {e}"))?;
            extra_recipients.push(email.as_str().to_string());
        }
        let public_url = var("BEACON_PUBLIC_URL")
            .map(|u| u.trim().trim_end_matches('/').to_string())
            .unwrap_or(defaults.public_url);
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(format!(
                "BEACON_PUBLIC_URL must start with http:// or https://, not '{public_url}'"
            ));
        }
        Ok(AlertSettings {
            enabled,
            smtp_url: var("BEACON_SMTP_URL").map(|u| u.trim().to_string()),
            mail_from: var("BEACON_MAIL_FROM").unwrap_or(defaults.mail_from),
            public_url,
            dir: var("BEACON_ALERT_DIR").map(PathBuf::from),
            extra_recipients,
            max_attempts: u32::try_from(number("BEACON_ALERT_MAX_ATTEMPTS", 1, 100, 8)?)
                .unwrap_or(8),
            lease: Duration::from_secs(number("BEACON_ALERT_LEASE_SECONDS", 1, 86_400, 120)?),
            poll: Duration::from_millis(number("BEACON_ALERT_POLL_MS", 10, 3_600_000, 1000)?),
            backoff: Duration::from_millis(number(
                "BEACON_ALERT_BACKOFF_MS",
                1,
                3_600_000,
                30_000,
            )?),
            batch: i64::try_from(number("BEACON_ALERT_BATCH", 1, 200, 20)?).unwrap_or(20),
            cadence_days: i64::try_from(number("BEACON_REPORT_CADENCE_DAYS", 1, 366, 35)?)
                .unwrap_or(35),
        })
    }

    /// The outbox policy these settings give.
    pub fn policy(&self) -> beacon_db::alerts::Policy {
        if self.enabled {
            beacon_db::alerts::Policy::on(self.extra_recipients.clone())
        } else {
            beacon_db::alerts::Policy::off()
        }
    }
}

impl Settings {
    pub const DEFAULT_BIND: &'static str = "127.0.0.1:8080";

    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let token_ttl = match var("BEACON_TOKEN_TTL_SECONDS") {
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|s| (60..=86_400).contains(s))
                .map(Duration::from_secs)
                .ok_or_else(|| format!("BEACON_TOKEN_TTL_SECONDS must be a number of seconds from 60 to 86400, not '{text}'"))?,
            None => Duration::from_secs(3600),
        };
        let workers = match var("BEACON_WORKERS") {
            Some(text) => Some(
                text.parse::<usize>()
                    .ok()
                    .filter(|n| (1..=256).contains(n))
                    .ok_or_else(|| {
                        format!("BEACON_WORKERS must be a whole number from 1 to 256, not '{text}'")
                    })?,
            ),
            None => None,
        };
        Ok(Settings {
            bind: var("BEACON_BIND").unwrap_or_else(|| Self::DEFAULT_BIND.to_string()),
            database_url: var("DATABASE_URL"),
            jwt_secret: var("BEACON_JWT_SECRET"),
            production: var("BEACON_ENV").is_some_and(|v| v.eq_ignore_ascii_case("production")),
            admin_email: var("BEACON_ADMIN_EMAIL"),
            admin_password: var("BEACON_ADMIN_PASSWORD"),
            token_ttl,
            json_logs: var("BEACON_LOG_FORMAT").is_some_and(|v| v.eq_ignore_ascii_case("json")),
            workers,
            alerts: AlertSettings::from_env(&var)?,
        })
    }

    /// Settings for a test server: port 0, everything else default.
    pub fn for_tests(database_url: &str) -> Self {
        Settings {
            bind: "127.0.0.1:0".to_string(),
            database_url: Some(database_url.to_string()),
            jwt_secret: Some("a test secret that is long enough to sign with".to_string()),
            production: false,
            admin_email: None,
            admin_password: None,
            token_ttl: Duration::from_secs(3600),
            json_logs: false,
            workers: Some(2),
            // Quick to deliver and to retry, into a folder of the test's own.
            alerts: AlertSettings {
                dir: Some(std::env::temp_dir().join("beacon-test-alerts")),
                poll: Duration::from_millis(50),
                backoff: Duration::from_millis(50),
                lease: Duration::from_secs(5),
                ..AlertSettings::default()
            },
        }
    }

    /// Refuses to start a production server without a strong signing secret.
    pub fn check(&self) -> Result<(), String> {
        if self.production {
            match &self.jwt_secret {
                None => return Err("BEACON_ENV=production needs BEACON_JWT_SECRET: set it to at least 32 random bytes".into()),
                Some(secret) if secret.len() < 32 => {
                    return Err(format!(
                        "BEACON_JWT_SECRET is {} bytes; production needs at least 32",
                        secret.len()
                    ));
                }
                Some(_) => {}
            }
        }
        self.bind
            .parse::<SocketAddr>()
            .map(drop)
            .or_else(|_| std::net::ToSocketAddrs::to_socket_addrs(&self.bind).map(drop))
            .map_err(|_| {
                format!(
                    "BEACON_BIND '{}' is not an address to listen on; write it like 127.0.0.1:8080",
                    self.bind
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_refuses_a_missing_or_short_secret() {
        let mut settings = Settings::for_tests("beacon.db");
        settings.production = true;
        settings.jwt_secret = None;
        assert!(settings.check().unwrap_err().contains("BEACON_JWT_SECRET"));
        settings.jwt_secret = Some("short".into());
        assert!(settings.check().unwrap_err().contains("at least 32"));
        settings.jwt_secret = Some("x".repeat(32));
        assert!(settings.check().is_ok());
    }

    fn alerts_from(pairs: &[(&str, &str)]) -> Result<AlertSettings, String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        AlertSettings::from_env(&move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn alert_settings_have_defaults_and_refuse_nonsense() {
        let defaults = alerts_from(&[]).unwrap();
        assert!(defaults.enabled);
        assert_eq!(defaults.max_attempts, 8);
        assert_eq!(defaults.cadence_days, 35);
        assert!(defaults.smtp_url.is_none());
        let set = alerts_from(&[
            ("BEACON_ALERTS", "off"),
            (
                "BEACON_ALERT_EXTRA_RECIPIENTS",
                "pmo@homeoffice.gov.uk, audit@nao.org.uk,",
            ),
            ("BEACON_ALERT_LEASE_SECONDS", "5"),
            ("BEACON_PUBLIC_URL", "https://beacon.police.uk/"),
        ])
        .unwrap();
        assert!(!set.enabled);
        assert_eq!(
            set.extra_recipients,
            ["pmo@homeoffice.gov.uk", "audit@nao.org.uk"]
        );
        assert_eq!(set.lease, Duration::from_secs(5));
        assert_eq!(set.public_url, "https://beacon.police.uk");
        assert!(!set.policy().enabled);
        for bad in [
            ("BEACON_ALERTS", "maybe"),
            ("BEACON_ALERT_EXTRA_RECIPIENTS", "pmo"),
            ("BEACON_ALERT_MAX_ATTEMPTS", "0"),
            ("BEACON_ALERT_BATCH", "1000"),
            ("BEACON_PUBLIC_URL", "beacon.police.uk"),
        ] {
            let error = alerts_from(&[bad]).unwrap_err();
            assert!(error.contains(bad.0), "{error}");
        }
        let debug = format!(
            "{:?}",
            alerts_from(&[("BEACON_SMTP_URL", "smtp://u:s3cret@mail:587")]).unwrap()
        );
        assert!(!debug.contains("s3cret"), "{debug}");
    }

    #[test]
    fn a_bad_bind_address_is_refused() {
        let mut settings = Settings::for_tests("beacon.db");
        settings.bind = "not an address".into();
        assert!(settings.check().is_err());
    }
}
