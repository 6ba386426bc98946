//! Settings: every one a `beacon serve` flag with an environment variable beside it,
//! read once by clap at start-up and passed down. `beacon serve --help` lists them with
//! their defaults; deploy/README.md is their reference. Secrets are held in `secrecy`
//! types, so no `Debug` or log line can print them.

use std::path::PathBuf;
use std::time::Duration;

use beacon_core::Email;
use clap::builder::BoolishValueParser;
use secrecy::{ExposeSecret, SecretString};

use crate::app::alerts::Policy;

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// Whether Beacon runs for real: production refuses to start without a strong secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

/// How Beacon logs, for every command.
#[derive(Debug, Clone, clap::Args)]
pub struct LogSettings {
    /// Log format
    #[arg(
        long,
        env = "BEACON_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
    /// What to log, as a tracing filter such as `info` or `beacon_api=debug,info`
    /// [default: info for serve and worker, warn for other commands]
    #[arg(long, env = "BEACON_LOG", global = true)]
    pub log: Option<String>,
}

/// Everything `beacon serve` reads.
#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// Address to listen on
    #[arg(long, env = "BEACON_BIND", default_value = DEFAULT_BIND, value_parser = parse_bind)]
    pub bind: String,
    /// Set by the command line's global --database-url (DATABASE_URL): the embedded
    /// SQLite file when none.
    #[arg(skip)]
    pub database_url: Option<String>,
    /// `production` refuses to start without a BEACON_JWT_SECRET of 32 bytes or more
    #[arg(
        long = "env",
        env = "BEACON_ENV",
        value_enum,
        default_value = "development"
    )]
    pub environment: Environment,
    /// The key tokens are signed with, at least 32 bytes; shared by every server of one
    /// register [default: a random key, so tokens end when the server stops]
    #[arg(long, env = "BEACON_JWT_SECRET", hide_env_values = true, value_parser = parse_secret)]
    pub jwt_secret: Option<SecretString>,
    /// The key web sessions are signed and encrypted with, at least 32 bytes; shared by
    /// every server of one register [default: a random key, so sessions end when the
    /// server stops]
    #[arg(long, env = "BEACON_SESSION_KEY", hide_env_values = true, value_parser = parse_secret)]
    pub session_key: Option<SecretString>,
    /// An admin account's email, made at start when it does not exist; an existing
    /// account is never changed [default on first start: admin@beacon.local]
    #[arg(long, env = "BEACON_ADMIN_EMAIL", value_parser = parse_email)]
    pub admin_email: Option<Email>,
    /// That admin's password when it is made, at least 12 characters [default:
    /// generated and printed once]
    #[arg(long, env = "BEACON_ADMIN_PASSWORD", hide_env_values = true, value_parser = parse_secret)]
    pub admin_password: Option<SecretString>,
    /// How long a sign-in token lasts, in seconds (60 to 86400)
    #[arg(long, env = "BEACON_TOKEN_TTL_SECONDS", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(60..=86_400))]
    pub token_ttl_seconds: u64,
    /// Comma-separated addresses or networks (e.g. 10.0.0.0/8) of reverse proxies whose
    /// X-Forwarded-For header names the client, for the sign-in throttle [default:
    /// none: the peer's address is the client's]
    #[arg(long = "trusted-proxies", env = "BEACON_TRUSTED_PROXIES", default_value = "",
          hide_default_value = true, value_parser = parse_proxies)]
    pub trusted_proxies: TrustedProxies,
    /// A token Prometheus sends as a bearer token to read GET /metrics [default: none:
    /// only this machine may read them]
    #[arg(long, env = "BEACON_METRICS_TOKEN", hide_env_values = true, value_parser = parse_secret)]
    pub metrics_token: Option<SecretString>,
    /// On SIGTERM, how long to finish the requests already taken before exiting, in
    /// seconds (0 to 3600)
    #[arg(long, env = "BEACON_SHUTDOWN_TIMEOUT_SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub shutdown_timeout_seconds: u64,
    /// HTTP worker threads (1 to 256) [default: one per core]
    #[arg(long, env = "BEACON_WORKERS", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: Option<u16>,
    #[command(flatten)]
    pub alerts: AlertSettings,
}

/// Which alerts a change writes: read by `beacon serve`, `beacon worker` and
/// `beacon report`, so a change made anywhere is told alike.
#[derive(Debug, Clone, clap::Args)]
pub struct AlertRules {
    /// Whether changes write alerts and a worker sends them: on or off
    #[arg(long = "alerts", env = "BEACON_ALERTS", default_value = "on",
          value_parser = BoolishValueParser::new(), action = clap::ArgAction::Set,
          hide_possible_values = true)]
    pub enabled: bool,
    /// Comma-separated addresses told of every Red turn, way out of Red and funding
    /// cut, e.g. the portfolio office's mailbox
    #[arg(long = "alert-extra-recipients", env = "BEACON_ALERT_EXTRA_RECIPIENTS", default_value = "",
          hide_default_value = true, value_parser = parse_recipients)]
    pub extra_recipients: Recipients,
}

impl AlertRules {
    /// Who hears of events besides owners, when alerts are on.
    pub fn policy(&self) -> Policy {
        if self.enabled {
            Policy::on(self.extra_recipients.0.clone())
        } else {
            Policy::off()
        }
    }
}

/// Email alerts: what raises them and how they are delivered; read by `beacon serve`
/// and `beacon worker`.
#[derive(Debug, Clone, clap::Args)]
pub struct AlertSettings {
    #[command(flatten)]
    pub rules: AlertRules,
    /// SMTP server: smtp://host:port (plain), smtp://host:port?tls=required (STARTTLS),
    /// smtps://host:port (TLS), credentials as smtp://user:password@host [default: none,
    /// alerts are written as .eml files to --alert-dir]
    #[arg(long, env = "BEACON_SMTP_URL", hide_env_values = true, value_parser = parse_secret)]
    pub smtp_url: Option<SecretString>,
    /// The sender of alert emails
    #[arg(
        long,
        env = "BEACON_MAIL_FROM",
        default_value = "Beacon <beacon@localhost>"
    )]
    pub mail_from: String,
    /// Where links in alert emails point: Beacon's address as its users reach it
    /// [default: the address `beacon serve` listens on, http://localhost:8080 for
    /// `beacon worker`]
    #[arg(long, env = "BEACON_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,
    /// Folder for .eml files when there is no SMTP server [default: alerts/ beside the
    /// SQLite file, or in the working directory]
    #[arg(long, env = "BEACON_ALERT_DIR")]
    pub alert_dir: Option<PathBuf>,
    /// Delivery attempts before an alert is marked failed (1 to 100)
    #[arg(long = "alert-max-attempts", env = "BEACON_ALERT_MAX_ATTEMPTS", default_value_t = 8,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_attempts: u32,
    /// Seconds a worker holds the alerts it claimed; a dead worker's alerts are sent by
    /// another after this (1 to 86400)
    #[arg(long = "alert-lease-seconds", env = "BEACON_ALERT_LEASE_SECONDS", default_value = "120",
          value_parser = seconds(1, 86_400))]
    pub lease: Duration,
    /// How often an idle worker looks for alerts, in milliseconds (10 to 3600000)
    #[arg(long = "alert-poll-ms", env = "BEACON_ALERT_POLL_MS", default_value = "1000",
          value_parser = milliseconds(10, 3_600_000))]
    pub poll: Duration,
    /// The first retry's delay in milliseconds, doubling with each failure (with jitter)
    /// up to an hour (1 to 3600000)
    #[arg(long = "alert-backoff-ms", env = "BEACON_ALERT_BACKOFF_MS", default_value = "30000",
          value_parser = milliseconds(1, 3_600_000))]
    pub backoff: Duration,
    /// Alerts one worker claims at a time (1 to 200)
    #[arg(long = "alert-batch", env = "BEACON_ALERT_BATCH", default_value_t = 20,
          value_parser = clap::value_parser!(i64).range(1..=200))]
    pub batch: i64,
    /// Owners are reminded, and the portfolio page shows a programme overdue, when it
    /// has had no status report for longer than this many days (1 to 366)
    #[arg(long = "report-cadence-days", env = "BEACON_REPORT_CADENCE_DAYS", default_value_t = 35,
          value_parser = clap::value_parser!(i64).range(1..=366))]
    pub cadence_days: i64,
}

/// Addresses read from one comma-separated setting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recipients(pub Vec<String>);

impl Settings {
    /// The checks that need more than one setting: production needs a strong secret.
    pub fn check(&self) -> Result<(), String> {
        if self.environment != Environment::Production {
            return Ok(());
        }
        strong_secret("BEACON_JWT_SECRET", self.jwt_secret.as_ref())?;
        strong_secret("BEACON_SESSION_KEY", self.session_key.as_ref())
    }

    pub fn token_ttl(&self) -> Duration {
        Duration::from_secs(self.token_ttl_seconds)
    }
}

/// Production refuses a missing or short secret, by the name the operator sets.
fn strong_secret(name: &str, secret: Option<&SecretString>) -> Result<(), String> {
    match secret {
        None => Err(format!(
            "BEACON_ENV=production needs {name}: set it to at least 32 random bytes"
        )),
        Some(secret) if secret.expose_secret().len() < 32 => Err(format!(
            "{name} is {} bytes; production needs at least 32",
            secret.expose_secret().len()
        )),
        Some(_) => Ok(()),
    }
}

fn parse_secret(text: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(text.to_string()))
}

fn parse_email(text: &str) -> Result<Email, String> {
    Email::parse(text).map_err(|e| e.to_string())
}

fn parse_bind(text: &str) -> Result<String, String> {
    std::net::ToSocketAddrs::to_socket_addrs(text)
        .map(|_| text.to_string())
        .map_err(|_| {
            format!("'{text}' is not an address to listen on; write it like 127.0.0.1:8080")
        })
}

/// The URL a browser on this machine reaches a listener at: an address that means
/// "every interface" is reached as localhost.
pub fn url_of(address: std::net::SocketAddr) -> String {
    let port = address.port();
    match address.ip() {
        ip if ip.is_unspecified() => format!("http://localhost:{port}"),
        std::net::IpAddr::V6(ip) => format!("http://[{ip}]:{port}"),
        std::net::IpAddr::V4(ip) => format!("http://{ip}:{port}"),
    }
}

impl AlertSettings {
    /// Beacon's address for links in alert emails.
    pub fn link_base(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| "http://localhost:8080".to_string())
    }
}

fn parse_public_url(text: &str) -> Result<String, String> {
    let url = text.trim().trim_end_matches('/');
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url.to_string())
    } else {
        Err(format!("'{text}' must start with http:// or https://"))
    }
}

pub(crate) fn parse_recipients(text: &str) -> Result<Recipients, String> {
    text.split(',')
        .map(str::trim)
        .filter(|address| !address.is_empty())
        .map(|address| parse_email(address).map(|email| email.as_str().to_string()))
        .collect::<Result<Vec<_>, _>>()
        .map(Recipients)
}

/// Proxies trusted to name the client in X-Forwarded-For.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(pub Vec<ipnet::IpNet>);

fn parse_proxies(text: &str) -> Result<TrustedProxies, String> {
    text.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<ipnet::IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    format!("'{entry}' is not an address or network; write it like 10.0.0.7 or 10.0.0.0/8")
                })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(TrustedProxies)
}

/// A whole number from `min` to `max`, as a duration in `unit`s.
fn whole_number(
    min: u64,
    max: u64,
    unit: fn(u64) -> Duration,
) -> impl Fn(&str) -> Result<Duration, String> + Clone {
    move |text: &str| {
        text.trim()
            .parse::<u64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .map(unit)
            .ok_or_else(|| format!("must be a whole number from {min} to {max}, not '{text}'"))
    }
}

fn seconds(min: u64, max: u64) -> impl Fn(&str) -> Result<Duration, String> + Clone {
    whole_number(min, max, Duration::from_secs)
}

fn milliseconds(min: u64, max: u64) -> impl Fn(&str) -> Result<Duration, String> + Clone {
    whole_number(min, max, Duration::from_millis)
}

pub use beacon_db::url::redact;

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Serve {
        #[command(flatten)]
        settings: Settings,
    }

    fn parse(args: &[&str]) -> Result<Settings, clap::Error> {
        let args = std::iter::once("beacon").chain(args.iter().copied());
        Serve::try_parse_from(args).map(|serve| serve.settings)
    }

    #[test]
    fn every_setting_has_a_default() {
        let settings = parse(&[]).unwrap();
        assert_eq!(settings.bind, DEFAULT_BIND);
        assert_eq!(settings.token_ttl(), Duration::from_secs(3600));
        assert!(settings.alerts.rules.enabled);
        assert_eq!(settings.alerts.max_attempts, 8);
        assert_eq!(settings.alerts.cadence_days, 35);
        assert_eq!(settings.alerts.lease, Duration::from_secs(120));
        assert!(settings.alerts.rules.extra_recipients.0.is_empty());
        assert!(settings.check().is_ok());
    }

    #[test]
    fn values_are_read_and_checked() {
        let settings = parse(&[
            "--alerts",
            "off",
            "--alert-extra-recipients",
            "pmo@homeoffice.gov.uk, audit@nao.org.uk,",
            "--alert-lease-seconds",
            "5",
            "--public-url",
            "https://beacon.police.uk/",
        ])
        .unwrap();
        assert!(!settings.alerts.rules.enabled);
        assert_eq!(
            settings.alerts.rules.extra_recipients.0,
            ["pmo@homeoffice.gov.uk", "audit@nao.org.uk"]
        );
        assert_eq!(settings.alerts.lease, Duration::from_secs(5));
        assert_eq!(settings.alerts.link_base(), "https://beacon.police.uk");
        assert!(!settings.alerts.rules.policy().enabled);
        for bad in [
            ["--alerts", "maybe"],
            ["--alert-extra-recipients", "pmo"],
            ["--alert-max-attempts", "0"],
            ["--alert-batch", "1000"],
            ["--public-url", "beacon.police.uk"],
            ["--bind", "nowhere"],
            ["--token-ttl-seconds", "10"],
        ] {
            assert!(parse(&bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn production_refuses_a_missing_or_short_secret() {
        let settings = parse(&["--env", "production"]).unwrap();
        assert!(settings.check().unwrap_err().contains("BEACON_JWT_SECRET"));
        let settings = parse(&["--env", "production", "--jwt-secret", "short"]).unwrap();
        assert!(settings.check().unwrap_err().contains("at least 32"));
        let long = "x".repeat(32);
        let settings = parse(&["--env", "production", "--jwt-secret", &long]).unwrap();
        assert!(settings.check().unwrap_err().contains("BEACON_SESSION_KEY"));
        let both = [
            "--env",
            "production",
            "--jwt-secret",
            &long,
            "--session-key",
            &long,
        ];
        assert!(parse(&both).unwrap().check().is_ok());
    }

    #[test]
    fn secrets_never_print() {
        let settings = parse(&[
            "--jwt-secret",
            "a-jwt-secret-of-thirty-two-bytes!!",
            "--admin-password",
            "an-admin-password",
            "--smtp-url",
            "smtp://beacon:s3cret@mail:587",
        ])
        .unwrap();
        let debug = format!("{settings:?}");
        for secret in ["a-jwt-secret", "an-admin-password", "s3cret"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert_eq!(
            redact("smtp://beacon:s3cret@mail:587?tls=required"),
            "smtp://beacon:***@mail:587?tls=required"
        );
    }
}
