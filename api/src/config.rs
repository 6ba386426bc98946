//! Settings, read once from the environment at start-up and passed down explicitly.

use std::net::SocketAddr;
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

    #[test]
    fn a_bad_bind_address_is_refused() {
        let mut settings = Settings::for_tests("beacon.db");
        settings.bind = "not an address".into();
        assert!(settings.check().is_err());
    }
}
