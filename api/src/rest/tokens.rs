//! Sign-in: the JWT bearer tokens Beacon issues and checks, and the throttle on failed
//! sign-ins.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use beacon_core::Role;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::problem::ApiError;

const ISSUER: &str = "beacon";
const AUDIENCE: &str = "beacon-api";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: String,
    exp: u64,
    iat: u64,
    iss: String,
    aud: String,
}

/// The keys tokens are signed and checked with (HS256).
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub ttl: Duration,
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["sub", "exp", "iat", "iss", "aud"]);
        validation.leeway = 5;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
        }
    }

    pub fn issue(&self, user_id: i64, role: Role) -> Result<String, ApiError> {
        let now = chrono::Utc::now().timestamp().max(0).unsigned_abs();
        let claims = Claims {
            sub: user_id.to_string(),
            role: role.as_str().to_string(),
            exp: now + self.ttl.as_secs(),
            iat: now,
            iss: ISSUER.to_string(),
            aud: AUDIENCE.to_string(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(ApiError::internal)
    }

    /// The user id in a valid token; any fault (signature, expiry, issuer, audience)
    /// is the same 401.
    pub(crate) fn user_id(&self, token: &str) -> Result<i64, ApiError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| ApiError::Unauthenticated)?;
        data.claims
            .sub
            .parse()
            .map_err(|_| ApiError::Unauthenticated)
    }
}

/// Counts failed sign-ins per client address and per account over a window, and
/// turns away further attempts once either passes its limit.
pub struct Throttle {
    window: Duration,
    per_account: usize,
    per_address: usize,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Throttle {
    pub fn new(window: Duration, per_account: usize, per_address: usize) -> Self {
        Throttle {
            window,
            per_account,
            per_address,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(address: &str, email: &str) -> [(String, bool); 2] {
        [
            (format!("ip:{address}"), false),
            (format!("account:{email}"), true),
        ]
    }

    /// `Err(seconds)` to wait when either key is over its limit.
    pub fn check(&self, address: &str, email: &str) -> Result<(), u64> {
        let now = Instant::now();
        let Ok(mut failures) = self.failures.lock() else {
            return Ok(());
        };
        for (key, is_account) in Self::keys(address, email) {
            let limit = if is_account {
                self.per_account
            } else {
                self.per_address
            };
            if let Some(times) = failures.get_mut(&key) {
                times.retain(|t| now.duration_since(*t) < self.window);
                if times.len() >= limit {
                    let oldest = times.first().copied().unwrap_or(now);
                    let wait = self.window.saturating_sub(now.duration_since(oldest));
                    return Err(wait.as_secs().max(1));
                }
            }
        }
        Ok(())
    }

    pub fn failed(&self, address: &str, email: &str) {
        let now = Instant::now();
        if let Ok(mut failures) = self.failures.lock() {
            // Forget quiet keys now and then so the map cannot grow without bound.
            if failures.len() > 100_000 {
                let window = self.window;
                failures.retain(|_, times| {
                    times
                        .last()
                        .is_some_and(|t| now.duration_since(*t) < window)
                });
            }
            for (key, _) in Self::keys(address, email) {
                failures.entry(key).or_default().push(now);
            }
        }
    }

    /// A successful sign-in clears the account's failures (not the address's).
    pub fn succeeded(&self, email: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(&format!("account:{email}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_tampering() {
        let keys = TokenKeys::new(
            b"a secret of at least thirty-two bytes!!",
            Duration::from_secs(60),
        );
        let token = keys.issue(7, Role::Lead).unwrap();
        assert_eq!(keys.user_id(&token).unwrap(), 7);
        let other = TokenKeys::new(
            b"another secret of at least thirty-two!!",
            Duration::from_secs(60),
        );
        assert!(other.user_id(&token).is_err());
        assert!(keys.user_id("not.a.token").is_err());
    }

    #[test]
    fn the_throttle_counts_per_account_and_per_address() {
        let throttle = Throttle::new(Duration::from_secs(60), 3, 5);
        for _ in 0..3 {
            assert!(throttle.check("10.0.0.1", "a@x.uk").is_ok());
            throttle.failed("10.0.0.1", "a@x.uk");
        }
        assert!(
            throttle.check("10.0.0.2", "a@x.uk").is_err(),
            "the account is locked from anywhere"
        );
        assert!(throttle.check("10.0.0.1", "b@x.uk").is_ok());
        throttle.failed("10.0.0.1", "b@x.uk");
        throttle.failed("10.0.0.1", "c@x.uk");
        assert!(
            throttle.check("10.0.0.1", "d@x.uk").is_err(),
            "the address is locked for any account"
        );
        throttle.succeeded("a@x.uk");
        assert!(throttle.check("10.0.0.3", "a@x.uk").is_ok());
    }
}
