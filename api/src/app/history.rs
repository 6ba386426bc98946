//! The funding history: every allocation, adjustment, withdrawal, envelope change and
//! spend entry, in the order recorded.

use beacon_core::Action;
use beacon_core::audit_trail::AuditEntity;
use beacon_core::{FinancialYear, HistoryKind};
use beacon_db::history::{Filter, HistoryRow, Position, Source, cited};
use beacon_db::records::AuditEntry;
use beacon_db::{DbConnection, programmes, streams};
use chrono::NaiveDateTime;

use super::{AppError, Caller};

/// What to narrow the history to, as asked: codes rather than ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryQuery {
    pub programme: Option<String>,
    pub stream: Option<String>,
    pub year: Option<FinancialYear>,
    pub kind: Option<HistoryKind>,
    /// Recorded at or after.
    pub from: Option<NaiveDateTime>,
    /// Recorded before.
    pub to: Option<NaiveDateTime>,
}

/// The filter a query names; an unknown programme or stream is a field error.
pub fn filter(conn: &mut DbConnection, query: &HistoryQuery) -> Result<Filter, AppError> {
    if let (Some(from), Some(to)) = (query.from, query.to) {
        if to <= from {
            return Err(AppError::field(
                "recorded_to",
                "must be after 'recorded_from'",
            ));
        }
    }
    let programme_id = match &query.programme {
        Some(code) => Some(
            programmes::find_by_code(conn, code.trim())?
                .ok_or_else(|| {
                    AppError::field("programme", format!("no programme has the code '{code}'"))
                })?
                .id,
        ),
        None => None,
    };
    let stream_id = match &query.stream {
        Some(code) => Some(
            streams::find(conn, code.trim())?
                .ok_or_else(|| {
                    AppError::field("stream", format!("no funding stream has the code '{code}'"))
                })?
                .id,
        ),
        None => None,
    };
    Ok(Filter {
        programme_id,
        stream_id,
        year: query.year,
        kind: query.kind,
        from: query.from,
        to: query.to,
        only: None,
    })
}

/// Up to `limit` entries after `after`, in recorded order.
pub fn page(
    conn: &mut DbConnection,
    filter: &Filter,
    after: Option<Position>,
    limit: i64,
) -> Result<Vec<HistoryRow>, AppError> {
    Ok(beacon_db::history::page(conn, filter, after, limit)?)
}

/// One entry of the history, by its citable id, with the audit entry that recorded it
/// for those who may read the trail (`None` for others, or for an entry whose audit
/// entry cannot be told apart).
pub fn entry(
    conn: &mut DbConnection,
    who: &Caller,
    citation: &str,
) -> Result<(HistoryRow, Option<AuditEntry>), AppError> {
    let missing = || {
        AppError::NotFound(format!(
            "no funding history entry has the id '{citation}'; ids look like ledger-13, envelope-7 or spend-4"
        ))
    };
    let only = cited(citation).ok_or_else(missing)?;
    let filter = Filter {
        only: Some(only),
        ..Filter::default()
    };
    let row = beacon_db::history::page(conn, &filter, None, 1)?
        .pop()
        .ok_or_else(missing)?;
    if who.may(Action::ReadAuditTrail).is_err() {
        return Ok((row, None));
    }
    let recorded = recorded_by_audit(conn, who, &row)?;
    Ok((row, recorded))
}

/// The audit entry written with a history entry. A ledger or spend entry is named by
/// its id; an envelope's entries are its changes in order, so the change that is the
/// envelope's n-th is recorded by the envelope's n-th audit entry, whose snapshot must
/// show the same amount.
fn recorded_by_audit(
    conn: &mut DbConnection,
    who: &Caller,
    row: &HistoryRow,
) -> Result<Option<AuditEntry>, AppError> {
    let (entity, entity_id) = match row.source {
        Source::Ledger => (AuditEntity::LedgerEntry, row.id.to_string()),
        Source::Spend => (AuditEntity::SpendEntry, row.id.to_string()),
        Source::Envelope => (
            AuditEntity::Envelope,
            format!("{}/{}", row.stream.as_deref().unwrap_or_default(), row.year),
        ),
    };
    let filter = beacon_db::audit::Filter {
        entity: Some(entity),
        entity_id: Some(entity_id),
        ..beacon_db::audit::Filter::default()
    };
    let entries = super::audit::page(conn, who, &filter, None, 10_000)?;
    if row.source != Source::Envelope {
        return Ok(entries.into_iter().next());
    }
    let nth = streams::envelope_change_rank(conn, row.id)?;
    let entry = usize::try_from(nth - 1)
        .ok()
        .and_then(|i| entries.into_iter().nth(i));
    let amount = row.envelope.map(|p| p.get());
    Ok(entry.filter(|e| snapshot_amount(e.after.as_deref()) == amount))
}

/// The envelope amount an audit snapshot shows.
fn snapshot_amount(after: Option<&str>) -> Option<i64> {
    let value: serde_json::Value = serde_json::from_str(after?).ok()?;
    value.get("amount_pence")?.as_i64()
}
