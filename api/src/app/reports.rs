//! Status reports: a programme's delivery confidence, reported by its leads.

use beacon_core::alert::{self, RatingChange};
use beacon_core::permission::check_report;
use beacon_core::{Action, AlertDetails, AlertKind, NewStatusReport, Rating, Role, rating};
use beacon_db::records::{Programme, StatusReport};
use beacon_db::status_reports::{self, Provenance};
use beacon_db::{Actor, DbConnection, Tx, owners, programmes, write_transaction};

use super::alerts::{Policy, about, raise};
use super::{AppError, Caller};

/// A stored report and what it did to its programme.
#[derive(Debug, Clone)]
pub struct Reported {
    pub programme: Programme,
    pub report: StatusReport,
    /// The programme's rating before this report, when this report is its latest.
    pub previous_rating: Option<Rating>,
    /// This report turned the programme Red.
    pub turned_red: bool,
    /// Alerts written for it: owners and others told.
    pub alerts: usize,
}

/// Reports a programme's delivery confidence: an owner whose role is lead, or an admin.
/// The report, the programme's new rating, the audit entry and any alerts it raises
/// commit together: an alert is never lost, and never sent for a report that rolled
/// back.
pub fn report_status(
    conn: &mut DbConnection,
    who: &Caller,
    code: &str,
    report: &NewStatusReport,
    policy: &Policy,
) -> Result<Reported, AppError> {
    who.may(Action::ReportStatus)?;
    write_transaction(conn, |tx| {
        // Locked first, so an owner removed meanwhile cannot slip a report in.
        let programme = programmes::lock(tx, code)?;
        let owns = match who.user_id() {
            Some(user) if who.role == Role::Lead => owners::is_owner(tx, programme.id, user)?,
            _ => true,
        };
        check_report(who.role, owns, &programme.code)?;
        let provenance = Provenance {
            reported_by: who.user_id(),
            reported_at: beacon_db::now(),
            source: "beacon",
        };
        record(tx, &who.actor, programme, report, &provenance, policy)
    })
}

/// Whether the caller may report on `programme`: the same rule `report_status`
/// applies, for a page deciding whether to offer its form.
pub fn may_report(
    conn: &mut DbConnection,
    who: &Caller,
    programme: &Programme,
) -> Result<bool, AppError> {
    if who.may(Action::ReportStatus).is_err() {
        return Ok(false);
    }
    let owns = match who.user_id() {
        Some(user) if who.role == Role::Lead => owners::is_owner(conn, programme.id, user)?,
        _ => true,
    };
    Ok(check_report(who.role, owns, &programme.code).is_ok())
}

/// The programme a report form is for, when the caller may report on it.
pub fn reporting_on(
    conn: &mut DbConnection,
    who: &Caller,
    code: &str,
) -> Result<Option<Programme>, AppError> {
    let programme = programmes::get_by_code(conn, code)?;
    Ok(may_report(conn, who, &programme)?.then_some(programme))
}

/// Records a report and, when it is the programme's latest, makes its rating current,
/// raising an alert on a turn into or out of Red. Used for reports made now and for
/// published ratings loaded with their own dates.
pub fn record(
    tx: &mut Tx<'_>,
    actor: &Actor,
    programme: Programme,
    report: &NewStatusReport,
    provenance: &Provenance<'_>,
    policy: &Policy,
) -> Result<Reported, AppError> {
    let latest_before = status_reports::latest_at(tx, programme.id)?;
    let stored = status_reports::insert(tx, actor, programme.id, report, provenance)?;
    let is_latest = latest_before.is_none_or(|latest| stored.reported_at >= latest);
    let previous = programme.rating;
    let mut alerts = 0;
    if is_latest {
        // "Since" is when the programme entered its current rating: unchanged by a
        // report that repeats it.
        let since = match (previous, programme.rating_since) {
            (Some(previous), Some(since)) if previous == report.rating => since,
            _ => stored.reported_at,
        };
        programmes::set_rating(tx, programme.id, report.rating, since)?;
        if let Some(kind) = alert::for_rating_change(previous, report.rating) {
            let change = RatingChange {
                programme: about(&programme),
                previous_rating: previous,
                rating: report.rating,
                rationale: stored.rationale.clone(),
                period_end: stored.period_end,
                by: actor.label.clone(),
                at: stored.reported_at,
            };
            let details = match kind {
                AlertKind::LeftRed => AlertDetails::LeftRed(change),
                _ => AlertDetails::TurnedRed(change),
            };
            let event = format!("status_report:{}", stored.id);
            alerts = raise(tx, policy, &event, programme.id, &details)?;
        }
    }
    Ok(Reported {
        turned_red: is_latest && rating::turns_red(previous, report.rating),
        previous_rating: if is_latest { previous } else { None },
        report: stored,
        programme,
        alerts,
    })
}

/// Up to `limit` of a programme's reports, newest first, before report `before`.
pub fn list(
    conn: &mut DbConnection,
    code: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<StatusReport>, AppError> {
    let programme = programmes::get_by_code(conn, code)?;
    Ok(status_reports::page(conn, programme.id, before, limit)?)
}
