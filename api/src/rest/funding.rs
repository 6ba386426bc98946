//! Funding streams, their envelopes, allocations to programmes, and spend.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, put, web};
use beacon_core::{
    Action, Envelope, FinancialYear, FundingStream, LedgerKind, NewLedgerEntry, NewSpend, Pence,
    SpendCategory,
};
use beacon_db::records::{EnvelopeState, LedgerEntry, SpendEntry};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::body::Body;
use super::params::{optional_date, parse_field, utc, year_and};
use super::problem::ApiError;
use super::state::AppState;
use crate::app::Caller;
use crate::app::funding::{self, StreamEnvelopes, WithdrawalRequest};

#[derive(Serialize, ToSchema)]
pub struct EnvelopeView {
    #[schema(example = "2025-26")]
    pub financial_year: String,
    #[schema(example = 5_950_000_000_i64)]
    pub amount_pence: i64,
    pub allocated_pence: i64,
    /// What is left to allocate: amount less allocated.
    pub headroom_pence: i64,
    /// Where the figure comes from.
    pub basis: String,
    pub updated_at: DateTime<Utc>,
}

impl From<EnvelopeState> for EnvelopeView {
    fn from(row: EnvelopeState) -> Self {
        EnvelopeView {
            financial_year: row.year.to_string(),
            headroom_pence: row.amount.get().saturating_sub(row.allocated.get()),
            amount_pence: row.amount.get(),
            allocated_pence: row.allocated.get(),
            basis: row.basis,
            updated_at: utc(row.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct StreamView {
    #[schema(example = "hmt-police-technology-2024-28")]
    pub code: String,
    #[schema(example = "HM Treasury police technology funding 2024-28")]
    pub name: String,
    pub description: String,
    /// Earliest year first.
    pub envelopes: Vec<EnvelopeView>,
}

impl From<StreamEnvelopes> for StreamView {
    fn from(s: StreamEnvelopes) -> Self {
        StreamView {
            code: s.stream.code.to_string(),
            name: s.stream.name,
            description: s.stream.description,
            envelopes: s.envelopes.into_iter().map(EnvelopeView::from).collect(),
        }
    }
}

/// Every funding stream with its envelopes (a short list; not paginated).
#[utoipa::path(operation_id = "list_funding_streams", tag = "funding", security(("bearer" = [])), responses((status = 200, body = Vec<StreamView>)))]
#[get("/funding-streams")]
pub async fn list_streams(
    state: web::Data<AppState>,
    _who: Caller,
) -> Result<web::Json<Vec<StreamView>>, ApiError> {
    let streams = state.db(|conn| Ok(funding::list_streams(conn)?)).await?;
    Ok(web::Json(
        streams.into_iter().map(StreamView::from).collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStream {
    #[schema(example = "police-productivity-2026")]
    pub code: String,
    #[schema(example = "Police productivity and technology funding 2026-27")]
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// Create a funding stream (finance, admin).
#[utoipa::path(operation_id = "create_funding_stream", tag = "funding", security(("bearer" = [])), request_body = NewStream, responses(
    (status = 201, body = StreamView),
    (status = 409, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Only finance and admin manage funding", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[post("/funding-streams")]
pub async fn create_stream(
    state: web::Data<AppState>,
    who: Caller,
    body: Body<NewStream>,
) -> Result<HttpResponse, ApiError> {
    who.may(Action::ManageFunding)?;
    let stream = FundingStream::parse(&body.code, &body.name, &body.description)?;
    let stream = state
        .db_write(move |conn| Ok(funding::create_stream(conn, &who, &stream)?))
        .await?;
    let location = format!("/api/v1/funding-streams/{}", stream.code);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(StreamView::from(StreamEnvelopes {
            stream,
            envelopes: Vec::new(),
        })))
}

/// One funding stream with its envelopes.
#[utoipa::path(operation_id = "get_funding_stream", tag = "funding", security(("bearer" = [])), params(("code" = String, Path)), responses(
    (status = 200, body = StreamView),
    (status = 404, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/funding-streams/{code}")]
pub async fn get_stream(
    state: web::Data<AppState>,
    _who: Caller,
    code: web::Path<String>,
) -> Result<web::Json<StreamView>, ApiError> {
    let code = code.into_inner();
    let stream = state
        .db(move |conn| Ok(funding::get_stream(conn, &code)?))
        .await?;
    Ok(web::Json(stream.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeInput {
    /// Zero or more. Below what is already allocated only with `withdrawals` that
    /// take back enough.
    #[schema(example = 5_950_000_000_i64)]
    pub amount_pence: i64,
    #[serde(default)]
    #[schema(example = "Spending Review 2025 settlement")]
    pub basis: String,
    /// For a cut: allocations from this stream and year to take back in the same
    /// change. Each becomes a withdrawal in the ledger and the programme's shortfall.
    #[serde(default)]
    pub withdrawals: Vec<WithdrawalInput>,
    /// YYYY-MM-DD, today or earlier (default today): the day it takes effect, when the
    /// money was decided or announced; its withdrawals take effect with it. Not before the envelope's latest change, as against when it is recorded.
    #[schema(example = "2025-04-01")]
    pub effective_on: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalInput {
    #[schema(example = "pnd-transformation")]
    pub programme: String,
    /// How much to take back, in pence: more than zero, at most what the programme
    /// holds from this stream in this year.
    #[schema(example = 1_200_000_000_i64)]
    pub withdraw_pence: i64,
    /// Why; the envelope's basis when omitted.
    #[serde(default)]
    pub reason: String,
}

/// The envelope as set, and the withdrawals its cut made.
#[derive(Serialize, ToSchema)]
pub struct EnvelopeSetView {
    #[serde(flatten)]
    pub envelope: EnvelopeView,
    pub withdrawals: Vec<LedgerEntryView>,
}

/// Set a stream's envelope for a financial year (finance, admin).
#[utoipa::path(operation_id = "set_envelope", tag = "funding", security(("bearer" = [])),
    params(("code" = String, Path), ("financial_year" = String, Path, example = "2025-26")),
    request_body = EnvelopeInput, responses(
    (status = 200, body = EnvelopeSetView),
    (status = 404, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 409, description = "A cut below what is allocated that does not withdraw enough: lists the allocations it would leave uncovered", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 422, description = "A negative amount, or a withdrawal that is not possible", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Only finance and admin manage funding", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[put("/funding-streams/{code}/envelopes/{financial_year}")]
pub async fn set_envelope(
    state: web::Data<AppState>,
    who: Caller,
    path: web::Path<(String, String)>,
    body: Body<EnvelopeInput>,
) -> Result<web::Json<EnvelopeSetView>, ApiError> {
    who.may(Action::ManageFunding)?;
    let (code, year) = path.into_inner();
    let year: FinancialYear = parse_field("financial_year", &year)?;
    let mut envelope = Envelope::new(year, Pence::new(body.amount_pence))
        .map_err(|e| ApiError::field("amount_pence", e.to_string()))?;
    let body = body.into_inner();
    envelope.effective_on = optional_date("effective_on", body.effective_on.as_deref())?;
    let withdrawals: Vec<WithdrawalRequest> = body
        .withdrawals
        .into_iter()
        .map(|w| WithdrawalRequest {
            programme: w.programme,
            amount: Pence::new(w.withdraw_pence),
            reason: w.reason,
        })
        .collect();
    let alerts = state.alerts.clone();
    let set = state
        .db_write(move |conn| {
            let set = funding::set_envelope(
                conn,
                &who,
                &code,
                &envelope,
                &body.basis,
                &withdrawals,
                &alerts,
            )?;
            Ok(set)
        })
        .await?;
    let stream = set.stream.code.to_string();
    Ok(web::Json(EnvelopeSetView {
        envelope: set.envelope.into(),
        withdrawals: set
            .withdrawals
            .into_iter()
            .map(|(entry, programme)| ledger_view(entry, stream.clone(), programme.to_string()))
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAllocation {
    #[schema(example = "live-facial-recognition")]
    pub programme: String,
    #[schema(example = "2025-26")]
    pub financial_year: String,
    /// Signed: positive for an allocation, negative for a withdrawal.
    #[schema(example = 400_000_000_i64)]
    pub amount_pence: i64,
    /// allocation (positive), adjustment (either sign) or withdrawal (negative).
    #[schema(example = "allocation")]
    pub kind: String,
    #[schema(example = "LFR mobile units for high streets")]
    pub reason: String,
    /// YYYY-MM-DD, today or earlier (default today): the day it takes effect, when the
    /// money was decided or withdrawn, as against when it is recorded.
    #[schema(example = "2025-04-01")]
    pub effective_on: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LedgerEntryView {
    pub id: i64,
    pub stream: String,
    pub programme: String,
    #[schema(example = "2025-26")]
    pub financial_year: String,
    #[schema(example = "allocation")]
    pub kind: String,
    pub amount_pence: i64,
    pub reason: String,
    pub recorded_by: Option<i64>,
    pub recorded_at: DateTime<Utc>,
    /// When it takes effect, as against `recorded_at`.
    pub effective_on: NaiveDate,
}

fn ledger_view(row: LedgerEntry, stream: String, programme: String) -> LedgerEntryView {
    LedgerEntryView {
        id: row.id,
        stream,
        programme,
        financial_year: row.year.to_string(),
        kind: row.kind.to_string(),
        amount_pence: row.amount.get(),
        reason: row.reason,
        recorded_by: row.recorded_by,
        recorded_at: utc(row.recorded_at),
        effective_on: row.effective_on,
    }
}

/// Allocate money from a stream to a programme, or correct or withdraw it (finance,
/// admin). An entry that would take the stream's year over its envelope is refused
/// with the headroom left.
#[utoipa::path(operation_id = "record_ledger_entry", tag = "funding", security(("bearer" = [])), params(("code" = String, Path)), request_body = NewAllocation, responses(
    (status = 201, body = LedgerEntryView),
    (status = 404, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Over the envelope (headroom_pence says what is left), or invalid", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Only finance and admin manage funding", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[post("/funding-streams/{code}/allocations")]
pub async fn allocate(
    state: web::Data<AppState>,
    who: Caller,
    code: web::Path<String>,
    body: Body<NewAllocation>,
) -> Result<HttpResponse, ApiError> {
    who.may(Action::ManageFunding)?;
    let body = body.into_inner();
    let (year, kind) = year_and::<LedgerKind>(&body.financial_year, "kind", &body.kind)?;
    let mut entry = NewLedgerEntry::new(kind, Pence::new(body.amount_pence), &body.reason)?;
    entry.effective_on = optional_date("effective_on", body.effective_on.as_deref())?;
    let stream = code.into_inner();
    let alerts = state.alerts.clone();
    let recorded = state
        .db_write(move |conn| {
            let recorded =
                funding::record_entry(conn, &who, &stream, &body.programme, year, &entry, &alerts)?;
            Ok(recorded)
        })
        .await?;
    let view = ledger_view(
        recorded.entry,
        recorded.stream.code.to_string(),
        recorded.programme.code.to_string(),
    );
    Ok(HttpResponse::Created().json(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSpendInput {
    #[schema(example = "2025-26")]
    pub financial_year: String,
    /// Signed: a negative amount corrects earlier spend.
    #[schema(example = 1_300_000_000_i64)]
    pub amount_pence: i64,
    /// run (keeping existing systems going) or change (new capability).
    #[schema(example = "run")]
    pub category: String,
    #[schema(example = "Oracle platform support and hosting, Q1")]
    pub description: String,
    /// YYYY-MM-DD, today or earlier (default today): the day it takes effect, when the
    /// money was spent, as against when it is recorded.
    #[schema(example = "2025-04-01")]
    pub effective_on: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SpendView {
    pub id: i64,
    pub programme: String,
    pub financial_year: String,
    pub category: String,
    pub amount_pence: i64,
    pub description: String,
    pub recorded_by: Option<i64>,
    pub recorded_at: DateTime<Utc>,
    /// When it takes effect, as against `recorded_at`.
    pub effective_on: NaiveDate,
}

fn spend_view(row: SpendEntry, programme: String) -> SpendView {
    SpendView {
        id: row.id,
        programme,
        financial_year: row.year.to_string(),
        category: row.category.to_string(),
        amount_pence: row.amount.get(),
        description: row.description,
        recorded_by: row.recorded_by,
        recorded_at: utc(row.recorded_at),
        effective_on: row.effective_on,
    }
}

/// Record actual spend on a programme (finance, admin).
#[utoipa::path(operation_id = "record_spend", tag = "funding", security(("bearer" = [])), params(("code" = String, Path)), request_body = NewSpendInput, responses(
    (status = 201, body = SpendView),
    (status = 404, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Only finance and admin manage funding", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[post("/programmes/{code}/spend")]
pub async fn record_spend(
    state: web::Data<AppState>,
    who: Caller,
    code: web::Path<String>,
    body: Body<NewSpendInput>,
) -> Result<HttpResponse, ApiError> {
    who.may(Action::ManageFunding)?;
    let body = body.into_inner();
    let (year, category) =
        year_and::<SpendCategory>(&body.financial_year, "category", &body.category)?;
    let mut spend = NewSpend::new(category, Pence::new(body.amount_pence), &body.description)?;
    spend.effective_on = optional_date("effective_on", body.effective_on.as_deref())?;
    let code = code.into_inner();
    let (entry, programme) = state
        .db_write(move |conn| Ok(funding::record_spend(conn, &who, &code, year, &spend)?))
        .await?;
    Ok(HttpResponse::Created().json(spend_view(entry, programme.code.to_string())))
}
