//! Status reports: append-only; the latest sets the programme's current rating.

use beacon_core::audit_trail::{AuditAction, AuditEntity};
use std::collections::HashMap;

use beacon_core::NewStatusReport;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::connection::{DbConnection, Tx};
use crate::error::DbError;
use crate::records::{StatusReport, all};
use crate::rows::StatusReportRow;
use crate::schema::{status_reports, users};

/// Who reported and when, and where a published rating came from.
#[derive(Debug, Clone)]
pub struct Provenance<'a> {
    pub reported_by: Option<i64>,
    pub reported_at: NaiveDateTime,
    /// `"beacon"` for a report made in Beacon; the publication for a loaded one.
    pub source: &'a str,
}

#[derive(Insertable)]
#[diesel(table_name = status_reports, treat_none_as_default_value = false)]
struct NewRow<'a> {
    programme_id: i64,
    rating: &'a str,
    rationale: &'a str,
    period_end: chrono::NaiveDate,
    reported_by: Option<i64>,
    reported_at: NaiveDateTime,
    source: &'a str,
}

/// Appends a report, with its audit entry.
pub fn insert(
    tx: &mut Tx<'_>,
    actor: &Actor,
    programme_id: i64,
    report: &NewStatusReport,
    provenance: &Provenance<'_>,
) -> Result<StatusReport, DbError> {
    let row: StatusReportRow = diesel::insert_into(status_reports::table)
        .values(&NewRow {
            programme_id,
            rating: report.rating.as_str(),
            rationale: &report.rationale,
            period_end: report.period_end,
            reported_by: provenance.reported_by,
            reported_at: provenance.reported_at,
            source: provenance.source,
        })
        .returning(status_reports::all_columns)
        .get_result(&mut **tx)?;
    let id = row.id.to_string();
    audit::record(
        tx,
        actor,
        AuditAction::Create,
        AuditEntity::StatusReport,
        &id,
        None::<&StatusReportRow>,
        Some(&row),
    )?;
    let mut report = [StatusReport::try_from(row)?];
    name_reporters(tx, &mut report)?;
    let [report] = report;
    Ok(report)
}

/// When the programme's latest report was made.
pub fn latest_at(
    conn: &mut DbConnection,
    programme_id: i64,
) -> Result<Option<NaiveDateTime>, DbError> {
    Ok(status_reports::table
        .filter(status_reports::programme_id.eq(programme_id))
        .select(diesel::dsl::max(status_reports::reported_at))
        .get_result(conn)?)
}

/// When each programme's latest report was made.
pub fn latest_by_programme(
    conn: &mut DbConnection,
) -> Result<HashMap<i64, NaiveDateTime>, DbError> {
    let rows: Vec<(i64, Option<NaiveDateTime>)> = status_reports::table
        .group_by(status_reports::programme_id)
        .select((
            status_reports::programme_id,
            diesel::dsl::max(status_reports::reported_at),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, at)| Some((id, at?)))
        .collect())
}

/// A programme's reports, newest first.
pub fn for_programme(
    conn: &mut DbConnection,
    programme_id: i64,
) -> Result<Vec<StatusReport>, DbError> {
    let rows: Vec<StatusReportRow> = status_reports::table
        .filter(status_reports::programme_id.eq(programme_id))
        .order((
            status_reports::reported_at.desc(),
            status_reports::id.desc(),
        ))
        .select(StatusReportRow::as_select())
        .load(conn)?;
    let mut reports = all(rows)?;
    name_reporters(conn, &mut reports)?;
    Ok(reports)
}

/// Whether a report for this programme with this date and source is already stored;
/// the seed loader uses it to load each published rating once.
pub fn exists(
    conn: &mut DbConnection,
    programme_id: i64,
    reported_at: NaiveDateTime,
    source: &str,
) -> Result<bool, DbError> {
    let count: i64 = status_reports::table
        .filter(status_reports::programme_id.eq(programme_id))
        .filter(status_reports::reported_at.eq(reported_at))
        .filter(status_reports::source.eq(source))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

/// Up to `limit` of a programme's reports, newest first, before report `before_id`
/// when given.
pub fn page(
    conn: &mut DbConnection,
    programme_id: i64,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<StatusReport>, DbError> {
    let mut query = status_reports::table
        .filter(status_reports::programme_id.eq(programme_id))
        .select(StatusReportRow::as_select())
        .into_boxed();
    if let Some(before) = before_id {
        // Newest first is (reported_at, id) descending; the cursor's report bounds both.
        let anchor: Option<NaiveDateTime> = status_reports::table
            .find(before)
            .select(status_reports::reported_at)
            .get_result(conn)
            .optional()?;
        if let Some(at) = anchor {
            query = query.filter(
                status_reports::reported_at
                    .lt(at)
                    .or(status_reports::reported_at
                        .eq(at)
                        .and(status_reports::id.lt(before))),
            );
        }
    }
    let rows: Vec<StatusReportRow> = query
        .order((
            status_reports::reported_at.desc(),
            status_reports::id.desc(),
        ))
        .limit(limit)
        .load(conn)?;
    let mut reports = all(rows)?;
    name_reporters(conn, &mut reports)?;
    Ok(reports)
}

/// Fills in the reporters' emails, in one query.
fn name_reporters(conn: &mut DbConnection, reports: &mut [StatusReport]) -> Result<(), DbError> {
    let mut ids: Vec<i64> = reports.iter().filter_map(|r| r.reported_by).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    let emails: HashMap<i64, String> = users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::email))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    for report in reports {
        report.reported_by_email = report.reported_by.and_then(|id| emails.get(&id).cloned());
    }
    Ok(())
}
