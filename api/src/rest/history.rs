//! The funding history: every allocation, adjustment, withdrawal, envelope change and
//! spend entry, in the order recorded; as JSON pages or streamed as CSV.

use actix_web::{HttpRequest, HttpResponse, get, web};
use beacon_core::{FinancialYear, HistoryKind, Pence};
use beacon_db::history::{HistoryRow, Position, Source};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::csv_export;
use super::pagination;
use super::params::{optional, parse_instant, utc};
use super::problem::ApiError;
use super::state::AppState;
use crate::app::Caller;
use crate::app::history::{self, HistoryQuery as Query};

#[derive(Serialize, ToSchema)]
pub struct HistoryEntryView {
    /// The entry's citable id: its table and its id there. It never changes and is
    /// never reused; `GET /funding/history/{id}` answers with the entry.
    #[schema(example = "ledger-13")]
    pub id: String,
    /// allocation, adjustment, withdrawal, envelope or spend.
    #[schema(example = "allocation")]
    pub kind: String,
    /// The stream the money comes from; absent for spend.
    #[schema(example = "hmt-police-technology-2024-28")]
    pub stream: Option<String>,
    /// The programme; absent for an envelope change.
    #[schema(example = "pnd-transformation")]
    pub programme: Option<String>,
    #[schema(example = "2025-26")]
    pub financial_year: String,
    /// Signed: allocations and spend positive, withdrawals negative, an envelope change
    /// the new envelope less the old.
    #[schema(example = 1_250_000_000_i64)]
    pub amount_pence: i64,
    /// For spend: run (keeping existing systems going) or change (new capability).
    pub category: Option<String>,
    /// For an envelope change: the envelope after it.
    pub envelope_pence: Option<i64>,
    /// The reason given (for spend, its description; for an envelope, its basis).
    pub reason: String,
    /// Who recorded it: a user's email; absent for loaded or seeded data.
    pub recorded_by: Option<String>,
    /// When Beacon learnt of it.
    pub recorded_at: DateTime<Utc>,
    /// When it takes effect: the day the money was decided, announced or spent.
    /// `as_of` counts it from this day.
    #[schema(example = "2025-04-01")]
    pub effective_on: NaiveDate,
    /// The stream's name, as it is now; absent for spend.
    #[schema(example = "HM Treasury police technology funding")]
    pub stream_name: Option<String>,
    /// The programme's name and sponsor, as they are now; absent for an envelope change.
    #[schema(example = "Police National Database (PND) transformation programme")]
    pub programme_name: Option<String>,
    #[schema(example = "Home Office")]
    pub sponsor: Option<String>,
}

impl From<HistoryRow> for HistoryEntryView {
    fn from(row: HistoryRow) -> Self {
        HistoryEntryView {
            id: row.citation(),
            kind: row.kind.to_string(),
            stream: row.stream,
            programme: row.programme,
            financial_year: row.year.to_string(),
            amount_pence: row.amount.get(),
            category: row.category.map(|c| c.to_string()),
            envelope_pence: row.envelope.map(Pence::get),
            reason: row.reason,
            recorded_by: row.recorded_by,
            recorded_at: utc(row.recorded_at),
            effective_on: row.effective_on,
            stream_name: row.stream_name,
            programme_name: row.programme_name,
            sponsor: row.sponsor,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct HistoryList {
    pub items: Vec<HistoryEntryView>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// A programme's code.
    pub programme: Option<String>,
    /// A funding stream's code.
    pub stream: Option<String>,
    /// Like 2025-26.
    pub financial_year: Option<String>,
    /// allocation, adjustment, withdrawal, envelope or spend.
    pub kind: Option<String>,
    /// Recorded from this date (YYYY-MM-DD) or RFC 3339 time, inclusive.
    pub recorded_from: Option<String>,
    /// Recorded up to the end of this date, or before this RFC 3339 time.
    pub recorded_to: Option<String>,
    /// Page size, 1 to 200 (default 50). Ignored for CSV, which carries every row.
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `csv` for the same rows as CSV (or send `Accept: text/csv`). A reason or name
    /// that starts like a spreadsheet formula (`=`, `+`, `-`, `@`, tab, carriage
    /// return) starts with an apostrophe in CSV, so that it opens as text.
    pub format: Option<String>,
}

impl HistoryQuery {
    /// What the query asks for, each value checked.
    fn asked(&self) -> Result<Query, ApiError> {
        let instant = |field, text: &Option<String>, end_of_day| {
            text.as_deref()
                .map(|t| parse_instant(field, t, end_of_day))
                .transpose()
        };
        Ok(Query {
            programme: self.programme.clone(),
            stream: self.stream.clone(),
            year: optional::<FinancialYear>("financial_year", self.financial_year.as_deref())?,
            kind: optional::<HistoryKind>("kind", self.kind.as_deref())?,
            from: instant("recorded_from", &self.recorded_from, false)?,
            to: instant("recorded_to", &self.recorded_to, true)?,
        })
    }
}

fn decode_cursor(fingerprint: &str, cursor: &str) -> Result<Position, ApiError> {
    let key = pagination::decode(fingerprint, cursor)?;
    decode_position(&key).ok_or_else(|| {
        ApiError::field(
            "cursor",
            "is not a cursor from this list; start again without it",
        )
    })
}

/// The cursor's key: the last entry's time, table and id.
pub(crate) fn encode_position(p: &Position) -> String {
    format!(
        "{}|{}|{}",
        p.recorded_at.format("%Y-%m-%dT%H:%M:%S%.6f"),
        p.source.as_str(),
        p.id
    )
}

pub(crate) fn decode_position(key: &str) -> Option<Position> {
    let mut parts = key.split('|');
    let recorded_at = NaiveDateTime::parse_from_str(parts.next()?, "%Y-%m-%dT%H:%M:%S%.6f").ok()?;
    let source = Source::parse(parts.next()?)?;
    let id = parts.next()?.parse().ok()?;
    Some(Position {
        recorded_at,
        source,
        id,
    })
}

/// Every money movement in the order recorded: allocations, adjustments, withdrawals,
/// envelope changes and spend, with who recorded each and why.
#[utoipa::path(operation_id = "list_funding_history", tag = "funding", security(("bearer" = [])), params(HistoryQuery), responses(
    (status = 200, description = "A page of entries, or every entry as CSV", content(
        (HistoryList = "application/json"),
        (String = "text/csv"),
    )),
    (status = 422, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/funding/history")]
pub async fn list(
    request: HttpRequest,
    state: web::Data<AppState>,
    _who: Caller,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let csv = csv_export::wanted(&request, query.format.as_deref())?;
    answer(state, query, csv).await
}

/// The funding history as CSV: every entry the filters match, from `cursor` on. The
/// same rows as `GET /funding/history?format=csv`, as an operation of its own for
/// clients generated from this document.
#[utoipa::path(operation_id = "export_funding_history", tag = "funding", security(("bearer" = [])), params(HistoryQuery), responses(
    (status = 200, description = "Every entry the filters match, as CSV", body = String, content_type = "text/csv"),
))]
#[get("/funding/history.csv")]
pub async fn export(
    state: web::Data<AppState>,
    _who: Caller,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    answer(state, query.into_inner(), true).await
}

pub(crate) async fn answer(
    state: web::Data<AppState>,
    query: HistoryQuery,
    csv: bool,
) -> Result<HttpResponse, ApiError> {
    let asked = query.asked()?;
    let fingerprint = format!(
        "history?{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        asked.programme, asked.stream, asked.year, asked.kind, asked.from, asked.to
    );
    let after = query
        .cursor
        .as_deref()
        .map(|cursor| decode_cursor(&fingerprint, cursor))
        .transpose()?;
    let filter = state
        .db(move |conn| Ok(history::filter(conn, &asked)?))
        .await?;
    if csv {
        return Ok(csv_export::stream(
            state.get_ref().clone(),
            "beacon-funding-history.csv",
            after,
            move |conn, after, batch| history::page(conn, &filter, after, batch),
        ));
    }
    let limit = pagination::limit(query.limit.as_deref())?;
    let rows = state
        .db(move |conn| Ok(history::page(conn, &filter, after, limit + 1)?))
        .await?;
    let (rows, next_cursor) = pagination::finish(rows, limit, &fingerprint, |r| {
        encode_position(&r.position())
    });
    Ok(HttpResponse::Ok().json(HistoryList {
        items: rows.into_iter().map(HistoryEntryView::from).collect(),
        next_cursor,
    }))
}

/// The audit entry that recorded a history entry: where it sits in the hash chain.
#[derive(Serialize, ToSchema)]
pub struct RecordedInAudit {
    #[schema(example = 42)]
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub hash: String,
}

/// One history entry with the audit entry that recorded it.
#[derive(Serialize, ToSchema)]
pub struct CitedEntryView {
    #[serde(flatten)]
    pub entry: HistoryEntryView,
    /// For auditors and admins: the audit entry written with it; null for other roles,
    /// or where no audit entry can be told to be this entry's.
    pub audit: Option<RecordedInAudit>,
}

/// One funding history entry by its citable id, e.g. `ledger-13`, with the sequence
/// number and hash of the audit entry that recorded it.
#[utoipa::path(operation_id = "get_funding_history_entry", tag = "funding", security(("bearer" = [])),
    params(("id" = String, Path, example = "ledger-13")), responses(
    (status = 200, body = CitedEntryView),
    (status = 404, description = "No entry has that id", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/funding/history/{id}")]
pub async fn entry(
    state: web::Data<AppState>,
    who: Caller,
    id: web::Path<String>,
) -> Result<web::Json<CitedEntryView>, ApiError> {
    let id = id.into_inner();
    let (row, audit) = state
        .db(move |conn| Ok(history::entry(conn, &who, &id)?))
        .await?;
    Ok(web::Json(CitedEntryView {
        entry: row.into(),
        audit: audit.and_then(|a| {
            Some(RecordedInAudit {
                seq: a.seq?,
                at: utc(a.at),
                hash: a.hash?,
            })
        }),
    }))
}
