//! The audit trail for auditors and administrators: every change, in chain order, and
//! a check that nobody rewrote it.

use beacon_core::Action;
use beacon_core::checkpoint::{self, Checkpoint, CheckpointError, CheckpointKey};
use beacon_db::DbConnection;
use beacon_db::audit::{Filter, Verification};
use beacon_db::records::AuditEntry;

use super::{AppError, Caller};

/// Up to `limit` entries in chain order after sequence number `after`. Entries are
/// linked into the chain just after they commit; linking what is pending first means
/// the reader sees every change made before the request.
pub fn page(
    conn: &mut DbConnection,
    who: &Caller,
    filter: &Filter,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEntry>, AppError> {
    who.may(Action::ReadAuditTrail)?;
    beacon_db::audit::seal(conn)?;
    Ok(beacon_db::audit::page(conn, filter, after, limit)?)
}

/// Recomputes the whole hash chain and reports where, if anywhere, it breaks.
pub fn verify(conn: &mut DbConnection, who: &Caller) -> Result<Verification, AppError> {
    who.may(Action::ReadAuditTrail)?;
    Ok(beacon_db::audit::verify(conn)?)
}

/// Links entries committed but not yet in the chain; returns how many.
pub fn seal(conn: &mut DbConnection) -> Result<u64, AppError> {
    Ok(beacon_db::audit::seal(conn)?)
}

/// The chain's head now, and its signature: a checkpoint for an auditor to keep outside
/// Beacon.
pub fn checkpoint(
    conn: &mut DbConnection,
    who: &Caller,
    key: &CheckpointKey,
) -> Result<(Checkpoint, String), AppError> {
    who.may(Action::ReadAuditTrail)?;
    beacon_db::audit::seal(conn)?;
    let (seq, hash) = beacon_db::audit::head(conn)?;
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let checkpoint = Checkpoint { seq, hash, at };
    let signature = key.sign(&checkpoint);
    Ok((checkpoint, signature))
}

/// Whether the trail still holds a checkpoint taken earlier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    Yes,
    /// The trail ends before the checkpoint's entry: entries were removed from its end.
    Truncated {
        ends_at: i64,
    },
    /// The entry at the checkpoint's sequence number has another hash.
    Replaced,
}

impl std::fmt::Display for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Held::Yes => f.write_str("the trail holds the checkpoint's entry"),
            Held::Truncated { ends_at } => write!(
                f,
                "the trail ends at sequence number {ends_at}, before the checkpoint's entry: entries were removed from its end"
            ),
            Held::Replaced => f.write_str(
                "the entry at the checkpoint's sequence number has another hash: the trail was rewritten from there",
            ),
        }
    }
}

/// Checks a checkpoint's signature against the register's public key (`trusted`), then
/// the whole chain, then that the chain still holds the checkpoint's entry.
pub fn verify_against(
    conn: &mut DbConnection,
    who: &Caller,
    trusted: &str,
    signed: (&Checkpoint, &str, &str),
) -> Result<(Verification, Held), AppError> {
    who.may(Action::ReadAuditTrail)?;
    let (checkpoint, public_key, signature) = signed;
    checkpoint::check(trusted, checkpoint, public_key, signature).map_err(|e| match e {
        CheckpointError::AnotherKey => AppError::field("public_key", e.to_string()),
        CheckpointError::Malformed("public key") => AppError::field("public_key", e.to_string()),
        _ => AppError::field("signature", e.to_string()),
    })?;
    let verification = beacon_db::audit::verify(conn)?;
    let at = beacon_db::audit::page(conn, &Filter::default(), Some(checkpoint.seq - 1), 1)?
        .into_iter()
        .next()
        .filter(|e| e.seq == Some(checkpoint.seq));
    let held = match at {
        // The empty trail's checkpoint: anything holds it.
        None if checkpoint.seq <= 0 => Held::Yes,
        None => Held::Truncated {
            ends_at: beacon_db::audit::head(conn)?.0,
        },
        Some(entry) if entry.hash.as_deref() != Some(checkpoint.hash.as_str()) => Held::Replaced,
        Some(_) => Held::Yes,
    };
    Ok((verification, held))
}
