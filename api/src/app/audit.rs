//! The audit trail for auditors and administrators: every change, in chain order, and
//! a check that nobody rewrote it.

use beacon_core::Action;
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
