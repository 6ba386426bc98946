//! The JWT bearer tokens Beacon issues and checks.

use std::time::Duration;

use beacon_core::Role;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::problem::{ApiError, TokenFault};

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
    /// The user's token version when it was issued: a later change of password, role
    /// or standing raises the stored one, which ends this token.
    ver: i64,
}

/// Who a valid token names, and the token version it was issued under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bearer {
    pub user_id: i64,
    pub version: i64,
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

    pub fn issue(&self, user_id: i64, role: Role, version: i64) -> Result<String, ApiError> {
        let now = chrono::Utc::now().timestamp().max(0).unsigned_abs();
        let claims = Claims {
            sub: user_id.to_string(),
            role: role.as_str().to_string(),
            exp: now + self.ttl.as_secs(),
            iat: now,
            iss: ISSUER.to_string(),
            aud: AUDIENCE.to_string(),
            ver: version,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(ApiError::internal)
    }

    /// The user and version in a valid token, or what is wrong with it: a client told
    /// "expired" signs in again, one told "signature" has a token from elsewhere.
    pub(crate) fn bearer(&self, token: &str) -> Result<Bearer, TokenFault> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| fault_of(e.kind()))?
            .claims;
        let now = chrono::Utc::now().timestamp().max(0).unsigned_abs();
        if claims.iat > now + self.validation.leeway {
            return Err(TokenFault::IssuedInFuture);
        }
        Ok(Bearer {
            user_id: claims.sub.parse().map_err(|_| TokenFault::Malformed)?,
            version: claims.ver,
        })
    }
}

fn fault_of(kind: &ErrorKind) -> TokenFault {
    match kind {
        ErrorKind::ExpiredSignature => TokenFault::Expired,
        ErrorKind::InvalidSignature => TokenFault::BadSignature,
        ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience | ErrorKind::InvalidAlgorithm => {
            TokenFault::NotForBeacon
        }
        ErrorKind::ImmatureSignature => TokenFault::IssuedInFuture,
        _ => TokenFault::Malformed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_from(secret: &[u8]) -> TokenKeys {
        TokenKeys::new(secret, Duration::from_secs(60))
    }

    #[test]
    fn tokens_round_trip_and_reject_tampering() {
        let keys = keys_from(b"a secret of at least thirty-two bytes!!");
        let token = keys.issue(7, Role::Lead, 3).unwrap();
        assert_eq!(
            keys.bearer(&token).unwrap(),
            Bearer {
                user_id: 7,
                version: 3
            }
        );
        let other = keys_from(b"another secret of at least thirty-two!!");
        assert_eq!(other.bearer(&token), Err(TokenFault::BadSignature));
        assert_eq!(keys.bearer("not.a.token"), Err(TokenFault::Malformed));
    }

    #[test]
    fn a_token_issued_in_the_future_is_refused() {
        let keys = keys_from(b"a secret of at least thirty-two bytes!!");
        let now = chrono::Utc::now().timestamp().unsigned_abs();
        let claims = Claims {
            sub: "7".into(),
            role: "lead".into(),
            exp: now + 400 * 24 * 3600,
            iat: now + 365 * 24 * 3600,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            ver: 0,
        };
        let token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding).unwrap();
        assert_eq!(keys.bearer(&token), Err(TokenFault::IssuedInFuture));
    }
}
