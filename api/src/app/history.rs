//! The funding history: every allocation, adjustment, withdrawal, envelope change and
//! spend entry, in the order recorded.

use beacon_core::{FinancialYear, HistoryKind};
use beacon_db::history::{Filter, HistoryRow, Position};
use beacon_db::{DbConnection, programmes, streams};
use chrono::NaiveDateTime;

use super::AppError;

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
