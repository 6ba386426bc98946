//! The audit trail's hash chain: how one entry is hashed together with the entry
//! before it, so that changing, removing or reordering any entry breaks every link
//! after it.
//!
//! The hash is SHA-256 over a canonical serialisation: a JSON array of a version tag
//! and the entry's fields in a fixed order, times as `YYYY-MM-DDTHH:MM:SS.ffffffZ`, and
//! the before/after snapshots as the exact text stored. Anyone can recompute it from an
//! export of the trail without Beacon.

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Names the serialisation below; a different one would need a different tag.
const VERSION: &str = "beacon-audit-v1";

/// The fields of an audit entry that its hash covers.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub seq: i64,
    pub at: NaiveDateTime,
    pub actor_id: Option<i64>,
    pub actor: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
}

impl Entry<'_> {
    /// The entry's hash given the previous entry's: lowercase hex SHA-256.
    pub fn hash(&self, prev_hash: &str) -> String {
        let canonical = serde_json::json!([
            VERSION,
            self.seq,
            self.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
            self.actor_id,
            self.actor,
            self.action,
            self.entity,
            self.entity_id,
            self.before,
            self.after,
            prev_hash,
        ]);
        format!("{:x}", Sha256::digest(canonical.to_string().as_bytes()))
    }
}

/// What is wrong at the first entry that does not check out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The sequence number is not the one after the previous entry's: entries are
    /// missing (deleted) or out of order.
    Gap { expected: i64 },
    /// The entry's `prev_hash` is not the previous entry's hash: an entry before it was
    /// replaced together with its hash.
    Link,
    /// The entry's own fields no longer give its stored hash: it was edited.
    Content,
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Break::Gap { expected } => write!(
                f,
                "expected sequence number {expected} here: entries were removed or reordered"
            ),
            Break::Link => f.write_str(
                "its previous-entry hash does not match the entry before it: that entry was replaced",
            ),
            Break::Content => {
                f.write_str("its contents no longer match its hash: the entry was altered")
            }
        }
    }
}

/// Walks a chain in sequence order, one entry at a time, remembering only the last
/// hash, so a chain of any length is checked in constant memory.
#[derive(Debug, Clone)]
pub struct Verifier {
    checked: u64,
    last_seq: i64,
    last_hash: String,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            checked: 0,
            last_seq: 0,
            last_hash: GENESIS.to_string(),
        }
    }
}

impl Verifier {
    /// Checks the next entry with its stored `prev_hash` and `hash`.
    pub fn check(&mut self, entry: &Entry<'_>, prev_hash: &str, hash: &str) -> Result<(), Break> {
        let expected = self.last_seq + 1;
        if entry.seq != expected {
            return Err(Break::Gap { expected });
        }
        if prev_hash != self.last_hash {
            return Err(Break::Link);
        }
        if entry.hash(prev_hash) != hash {
            return Err(Break::Content);
        }
        self.checked += 1;
        self.last_seq = entry.seq;
        self.last_hash = hash.to_string();
        Ok(())
    }

    pub fn checked(&self) -> u64 {
        self.checked
    }

    /// The last good entry's sequence number and hash; `None` before the first.
    pub fn head(&self) -> Option<(i64, &str)> {
        (self.checked > 0).then_some((self.last_seq, self.last_hash.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
            .and_then(|d| d.and_hms_micro_opt(9, 30, 0, 123_456))
            .unwrap_or_default()
    }

    fn entry(seq: i64, after: &str) -> Entry<'_> {
        Entry {
            seq,
            at: at(),
            actor_id: Some(1),
            actor: "pmo@beacon.test",
            action: "create",
            entity: "programme",
            entity_id: "pnd-transformation",
            before: None,
            after: Some(after),
        }
    }

    #[test]
    fn hash_is_stable_and_covers_every_field() {
        let base = entry(1, r#"{"rating":"red"}"#);
        let hash = base.hash(GENESIS);
        assert_eq!(hash.len(), 64);
        assert_eq!(hash, base.hash(GENESIS));
        let variants = [
            Entry { seq: 2, ..base },
            Entry {
                actor_id: None,
                ..base
            },
            Entry { actor: "x", ..base },
            Entry {
                action: "update",
                ..base
            },
            Entry {
                entity: "user",
                ..base
            },
            Entry {
                entity_id: "esn",
                ..base
            },
            Entry {
                before: Some("{}"),
                ..base
            },
            Entry {
                after: Some(r#"{"rating":"green"}"#),
                ..base
            },
            Entry {
                at: at() + chrono::TimeDelta::microseconds(1),
                ..base
            },
        ];
        for changed in variants {
            assert_ne!(changed.hash(GENESIS), hash, "{changed:?}");
        }
        assert_ne!(base.hash(&hash), hash, "the previous hash is covered");
    }

    /// The worked example in docs/auditors.md, which an auditor's own
    /// code (and `tools/verify_audit_chain.py`) must reproduce.
    #[test]
    fn the_documented_worked_example_gives_its_hash() {
        let example = entry(1, r#"{"rating":"red"}"#);
        assert_eq!(
            example.hash(GENESIS),
            "adcfdfa56aa246ffa76036959d683b00a8dd13fdfdc4cda6197dbfe3d32242b6"
        );
    }

    #[test]
    fn verifier_finds_the_first_bad_entry() {
        let texts = ["a", "b", "c", "d"];
        let mut chain = Vec::new();
        let mut prev = GENESIS.to_string();
        for (i, text) in texts.iter().enumerate() {
            let e = entry(i as i64 + 1, text);
            let hash = e.hash(&prev);
            chain.push((e, prev.clone(), hash.clone()));
            prev = hash;
        }
        let mut ok = Verifier::default();
        for (e, p, h) in &chain {
            assert_eq!(ok.check(e, p, h), Ok(()));
        }
        assert_eq!(ok.checked(), 4);
        assert_eq!(ok.head().map(|(s, _)| s), Some(4));

        // Edited content.
        let mut v = Verifier::default();
        let (e, p, h) = &chain[0];
        v.check(e, p, h).unwrap_or_default();
        let edited = entry(2, "B");
        assert_eq!(
            v.check(&edited, &chain[1].1, &chain[1].2),
            Err(Break::Content)
        );

        // A deleted entry leaves a gap.
        let mut v = Verifier::default();
        v.check(&chain[0].0, &chain[0].1, &chain[0].2)
            .unwrap_or_default();
        assert_eq!(
            v.check(&chain[2].0, &chain[2].1, &chain[2].2),
            Err(Break::Gap { expected: 2 })
        );

        // An entry rewritten with a fresh hash breaks the next link.
        let mut v = Verifier::default();
        v.check(&chain[0].0, &chain[0].1, &chain[0].2)
            .unwrap_or_default();
        let forged = entry(2, "B");
        let forged_hash = forged.hash(&chain[1].1);
        assert_eq!(v.check(&forged, &chain[1].1, &forged_hash), Ok(()));
        assert_eq!(
            v.check(&chain[2].0, &chain[2].1, &chain[2].2),
            Err(Break::Link)
        );
    }
}
