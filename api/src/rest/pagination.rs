//! Keyset pagination: an opaque cursor that carries the last key of a page and a
//! fingerprint of the query it belongs to, so a cursor from another query is refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::problem::ApiError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// The page size asked for, checked.
pub fn limit(requested: Option<&str>) -> Result<i64, ApiError> {
    let Some(text) = requested else {
        return Ok(DEFAULT_LIMIT);
    };
    match text.trim().parse::<i64>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(ApiError::field(
            "limit",
            format!("expected a whole number from 1 to {MAX_LIMIT}, got '{text}'"),
        )),
    }
}

/// FNV-1a: a stable, dependency-free fingerprint; cursors are not secrets.
fn fingerprint(query: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in query.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// A cursor for the page after the one whose last key is `key`, in `query`.
pub fn encode(query: &str, key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1|{}|{key}", fingerprint(query)))
}

/// The id a cursor carries, for lists keyed by id: none when no cursor was sent.
pub fn decode_id(query: &str, cursor: Option<&str>) -> Result<Option<i64>, ApiError> {
    cursor
        .map(|cursor| super::params::parse_field::<i64>("cursor", &decode(query, cursor)?))
        .transpose()
}

/// The key a cursor carries, if it was made for this `query`.
pub fn decode(query: &str, cursor: &str) -> Result<String, ApiError> {
    let invalid = || {
        ApiError::field(
            "cursor",
            "is not a cursor from this list with these filters; start again without it",
        )
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let mut parts = text.splitn(3, '|');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("v1"), Some(print), Some(key)) if print == fingerprint(query) => Ok(key.to_string()),
        _ => Err(invalid()),
    }
}

/// Splits the extra row a page query fetched off, and makes the next cursor from the
/// last row kept.
pub fn finish<T>(
    mut rows: Vec<T>,
    limit: i64,
    query: &str,
    key: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more {
        rows.last().map(|last| encode(query, &key(last)))
    } else {
        None
    };
    (rows, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_only_works_for_its_own_query() {
        let cursor = encode("rating=red", "esn");
        assert_eq!(decode("rating=red", &cursor).unwrap(), "esn");
        assert!(decode("rating=amber", &cursor).is_err());
        assert!(decode("rating=red", "garbage").is_err());
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(limit(None).unwrap(), 50);
        assert_eq!(limit(Some("200")).unwrap(), 200);
        assert!(limit(Some("0")).is_err());
        assert!(limit(Some("201")).is_err());
        assert!(limit(Some("lots")).is_err());
    }
}
