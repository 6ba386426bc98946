//! The audit trail for auditors and administrators: every change, in chain order, and a
//! check that nobody rewrote it.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use beacon_core::Action;
use beacon_core::checkpoint::Checkpoint;
use beacon_db::audit::{Filter, Verification};
use beacon_db::records::AuditEntry;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::body::Body;
use super::csv_export;
use super::pagination;
use super::params::{optional, parse_instant, text, utc};
use super::problem::ApiError;
use super::state::AppState;
use crate::app::{Caller, audit};
use crate::csv_table::CsvRecord;

#[derive(Serialize, ToSchema)]
pub struct AuditEntryView {
    /// Position in the hash chain, from 1.
    #[schema(example = 42)]
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    /// The user's email, or the Beacon command that acted (e.g. `beacon seed`).
    #[schema(example = "pmo@beacon.police.uk")]
    pub actor: String,
    #[schema(example = "update")]
    pub action: String,
    #[schema(example = "programme")]
    pub entity: String,
    #[schema(example = "pnd-transformation")]
    pub entity_id: String,
    /// The record before the change; absent for a creation.
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The record after the change; absent for a removal.
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    /// The previous entry's hash (64 zeros for the first).
    pub prev_hash: String,
    /// SHA-256 over this entry and `prev_hash`; see docs/auditors.md.
    pub hash: String,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(row: AuditEntry) -> Self {
        // Snapshots are stored as the JSON Beacon wrote; one that does not parse is
        // still shown, as a string, rather than hidden.
        let json = |text: Option<String>| {
            text.map(|t| serde_json::from_str(&t).unwrap_or(serde_json::Value::String(t)))
        };
        AuditEntryView {
            seq: row.seq.unwrap_or_default(),
            at: utc(row.at),
            actor_id: row.actor_id,
            actor: row.actor,
            action: row.action,
            entity: row.entity,
            entity_id: row.entity_id,
            before: json(row.before),
            after: json(row.after),
            prev_hash: row.prev_hash.unwrap_or_default(),
            hash: row.hash.unwrap_or_default(),
        }
    }
}

impl CsvRecord for AuditEntry {
    const HEADER: &'static [&'static str] = &[
        "seq",
        "at",
        "actor_id",
        "actor",
        "action",
        "entity",
        "entity_id",
        "before",
        "after",
        "prev_hash",
        "hash",
    ];

    fn write(&self, out: &mut csv::Writer<Vec<u8>>) -> csv::Result<()> {
        out.write_record([
            self.seq.map(|s| s.to_string()).unwrap_or_default().as_str(),
            &utc(self.at).to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            &self.actor_id.map(|a| a.to_string()).unwrap_or_default(),
            &self.actor,
            &self.action,
            &self.entity,
            &self.entity_id,
            self.before.as_deref().unwrap_or_default(),
            self.after.as_deref().unwrap_or_default(),
            self.prev_hash.as_deref().unwrap_or_default(),
            self.hash.as_deref().unwrap_or_default(),
        ])
    }

    type Key = i64;

    fn key(&self) -> i64 {
        self.seq.unwrap_or_default()
    }
}

#[derive(Serialize, ToSchema)]
pub struct AuditList {
    pub items: Vec<AuditEntryView>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// programme, status_report, user, programme_owner, funding_stream, envelope,
    /// ledger_entry, spend_entry, force, alert.
    pub entity: Option<String>,
    /// With `entity`: one record's entries, e.g. a programme's code.
    pub entity_id: Option<String>,
    /// Who acted: a user's email, or a command such as `beacon seed`.
    pub actor: Option<String>,
    /// create, update, add_owner, remove_owner, reset_password, lift_sign_in_throttle,
    /// retry.
    pub action: Option<String>,
    /// From this date (YYYY-MM-DD, from its start) or RFC 3339 time, inclusive.
    pub from: Option<String>,
    /// To this date (YYYY-MM-DD, to its end) or RFC 3339 time.
    pub to: Option<String>,
    /// Page size, 1 to 200 (default 50). Ignored for CSV, which carries every row.
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `csv` for the same rows as CSV (or send `Accept: text/csv`).
    pub format: Option<String>,
}

impl AuditQuery {
    fn filter(&self) -> Result<Filter, ApiError> {
        let from = self
            .from
            .as_deref()
            .map(|t| parse_instant("from", t, false))
            .transpose()?;
        let to = self
            .to
            .as_deref()
            .map(|t| parse_instant("to", t, true))
            .transpose()?;
        if let (Some(from), Some(to)) = (from, to) {
            if to <= from {
                return Err(ApiError::field("to", "must be after 'from'"));
            }
        }
        Ok(Filter {
            entity: optional("entity", text(&self.entity).as_deref())?,
            entity_id: text(&self.entity_id),
            actor: text(&self.actor),
            action: optional("action", text(&self.action).as_deref())?,
            from,
            to,
        })
    }
}

/// The audit trail in chain order, filtered; as JSON pages or streamed as CSV.
#[utoipa::path(operation_id = "list_audit_entries", tag = "audit", security(("bearer" = [])), params(AuditQuery), responses(
    (status = 200, description = "A page of entries, or every entry as CSV", content(
        (AuditList = "application/json"),
        (String = "text/csv"),
    )),
    (status = 403, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/audit")]
pub async fn list(
    request: HttpRequest,
    state: web::Data<AppState>,
    who: Caller,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    who.may(Action::ReadAuditTrail)?;
    let query = query.into_inner();
    let filter = query.filter()?;
    let csv = csv_export::wanted(&request, query.format.as_deref())?;
    let fingerprint = format!("audit?{filter:?}");
    let after = pagination::decode_id(&fingerprint, query.cursor.as_deref())?;
    if csv {
        return Ok(csv_export::stream(
            state.get_ref().clone(),
            "beacon-audit.csv",
            after,
            move |conn, after, batch| audit::page(conn, &who, &filter, after, batch),
        ));
    }
    let limit = pagination::limit(query.limit.as_deref())?;
    let rows = state
        .db(move |conn| Ok(audit::page(conn, &who, &filter, after, limit + 1)?))
        .await?;
    let (rows, next_cursor) = pagination::finish(rows, limit, &fingerprint, |r| {
        r.seq.unwrap_or_default().to_string()
    });
    Ok(HttpResponse::Ok().json(AuditList {
        items: rows.into_iter().map(AuditEntryView::from).collect(),
        next_cursor,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct VerifyReport {
    /// True when every entry links to the one before it and matches its hash, and no
    /// entry sits outside the chain.
    pub intact: bool,
    /// Entries checked, from the first, before any break.
    #[schema(example = 1_204)]
    pub checked: u64,
    /// The last entry that checked out. Keep it: if a later check reports an earlier
    /// head, entries were removed from the end.
    pub head_seq: Option<i64>,
    pub head_hash: Option<String>,
    /// The first sequence number whose entry or link does not match.
    pub first_broken_seq: Option<i64>,
    /// What is wrong there.
    pub problem: Option<String>,
    /// Entries taken out of the chain: a hash but no sequence number.
    pub unchained: i64,
    /// With a checkpoint posted: whether the trail still holds its entry, and if not,
    /// what happened. `intact` is then false too.
    pub checkpoint: Option<String>,
}

impl From<Verification> for VerifyReport {
    fn from(v: Verification) -> Self {
        VerifyReport {
            intact: v.is_intact(),
            checked: v.checked,
            head_seq: v.head_seq,
            head_hash: v.head_hash,
            first_broken_seq: v.first_break.as_ref().map(|(seq, _)| *seq),
            problem: v.first_break.map(|(_, problem)| problem.to_string()),
            unchained: v.unchained,
            checkpoint: None,
        }
    }
}

/// Recomputes the whole hash chain and reports where, if anywhere, it breaks.
#[utoipa::path(operation_id = "verify_audit_chain", tag = "audit", security(("bearer" = [])), responses(
    (status = 200, body = VerifyReport),
    (status = 403, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/audit/verify")]
pub async fn verify(
    state: web::Data<AppState>,
    who: Caller,
) -> Result<web::Json<VerifyReport>, ApiError> {
    let report = state.db(move |conn| Ok(audit::verify(conn, &who)?)).await?;
    Ok(web::Json(report.into()))
}

/// The chain's head at a moment, signed with this register's Ed25519 key (the message
/// signed is `beacon-audit-checkpoint-v1`, `seq`, `hash` and `at`, one per line).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckpointView {
    #[schema(example = 1_204)]
    pub seq: i64,
    pub hash: String,
    /// When it was taken, RFC 3339 UTC.
    #[schema(example = "2026-12-04T21:05:00.123456Z")]
    pub at: String,
    /// The register's public key, base64 (`GET /audit/public-key`).
    pub public_key: String,
    /// Ed25519 over the message, base64.
    pub signature: String,
}

impl CheckpointView {
    pub(crate) fn signed(head: Checkpoint, key: String, signature: String) -> Self {
        CheckpointView {
            seq: head.seq,
            hash: head.hash,
            at: head.at,
            public_key: key,
            signature,
        }
    }

    pub(crate) fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            seq: self.seq,
            hash: self.hash.clone(),
            at: self.at.clone(),
        }
    }
}

/// The audit chain's head now, signed: keep it outside Beacon, and post it to
/// `POST /audit/verify` later to prove nothing was removed since.
#[utoipa::path(operation_id = "take_audit_checkpoint", tag = "audit", security(("bearer" = [])), responses(
    (status = 200, body = CheckpointView),
    (status = 403, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/audit/checkpoint")]
pub async fn checkpoint(
    state: web::Data<AppState>,
    who: Caller,
) -> Result<web::Json<CheckpointView>, ApiError> {
    let key = state.checkpoints.clone();
    let (checkpoint, signature) = state
        .db(move |conn| Ok(audit::checkpoint(conn, &who, &key)?))
        .await?;
    Ok(web::Json(CheckpointView::signed(
        checkpoint,
        state.checkpoints.public_key(),
        signature,
    )))
}

#[derive(Serialize, ToSchema)]
pub struct PublicKeyView {
    #[schema(example = "Ed25519")]
    pub algorithm: String,
    /// base64 of the 32-byte key.
    pub public_key: String,
}

/// The key that signs this register's checkpoints.
#[utoipa::path(operation_id = "get_audit_public_key", tag = "audit", security(("bearer" = [])), responses(
    (status = 200, body = PublicKeyView),
))]
#[get("/audit/public-key")]
pub async fn public_key(state: web::Data<AppState>, _who: Caller) -> web::Json<PublicKeyView> {
    web::Json(PublicKeyView {
        algorithm: "Ed25519".into(),
        public_key: state.checkpoints.public_key(),
    })
}

/// Recomputes the chain and checks it still holds a checkpoint taken earlier: a trail
/// cut short after the checkpoint, or rewritten from it, is not intact. A checkpoint
/// not signed by this register is refused.
#[utoipa::path(operation_id = "verify_audit_chain_against_checkpoint", tag = "audit", security(("bearer" = [])),
    request_body = CheckpointView, responses(
    (status = 200, body = VerifyReport),
    (status = 403, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 422, description = "The checkpoint names another key, or its signature does not match", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[post("/audit/verify")]
pub async fn verify_against(
    state: web::Data<AppState>,
    who: Caller,
    body: Body<CheckpointView>,
) -> Result<web::Json<VerifyReport>, ApiError> {
    let trusted = state.checkpoints.public_key();
    let signed = body.into_inner();
    let (verification, held) = state
        .db(move |conn| {
            let head = signed.checkpoint();
            let parts = (&head, signed.public_key.as_str(), signed.signature.as_str());
            Ok(audit::verify_against(conn, &who, &trusted, parts)?)
        })
        .await?;
    let mut report = VerifyReport::from(verification);
    if held != audit::Held::Yes {
        report.intact = false;
    }
    report.checkpoint = Some(held.to_string());
    Ok(web::Json(report))
}
