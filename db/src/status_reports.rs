//! Status reports: append-only; the latest sets the programme's current rating.

use beacon_core::{NewStatusReport, Rating, rating};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::connection::{DbConnection, write_transaction};
use crate::error::DbError;
use crate::models::{ProgrammeRow, StatusReportRow};
use crate::schema::{programmes, status_reports};

/// Who reported and when, and where a published rating came from.
#[derive(Debug, Clone)]
pub struct Provenance<'a> {
    pub reported_by: Option<i64>,
    /// `None` for a report made now: its time is taken once the programme is locked, so
    /// reports on one programme are timed in the order they commit. A published rating
    /// loaded later gives its own date.
    pub reported_at: Option<NaiveDateTime>,
    /// `"beacon"` for a report made in Beacon; the publication for a loaded one.
    pub source: &'a str,
    /// The reporter may report only on programmes they own (a lead). Checked under the
    /// programme's lock, so an owner removed meanwhile cannot slip a report in.
    pub owners_only: bool,
}

/// Which programme a report is about: by id, or by the code in a request's path.
#[derive(Debug, Clone, Copy)]
pub enum ProgrammeKey<'a> {
    Id(i64),
    Code(&'a str),
}

impl From<i64> for ProgrammeKey<'_> {
    fn from(id: i64) -> Self {
        ProgrammeKey::Id(id)
    }
}

impl<'a> From<&'a str> for ProgrammeKey<'a> {
    fn from(code: &'a str) -> Self {
        ProgrammeKey::Code(code)
    }
}

/// A stored report and what it did to the programme.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub report: StatusReportRow,
    /// The programme's rating before this report (when this report is its latest).
    pub previous_rating: Option<Rating>,
    /// This report turned the programme Red.
    pub turned_red: bool,
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

/// Records a report and, when it is the programme's latest, makes its rating current.
/// The report, the programme's new rating, the audit entry and any alerts it raises
/// (a turn to Red or out of it, under `alerts`) commit together: an alert is never lost,
/// and never sent for a report that rolled back.
pub fn record<'a>(
    conn: &mut DbConnection,
    actor: &Actor,
    programme: impl Into<ProgrammeKey<'a>>,
    report: &NewStatusReport,
    provenance: &Provenance<'_>,
    alerts: &crate::alerts::Policy,
) -> Result<Recorded, DbError> {
    let key = programme.into();
    write_transaction(conn, |conn| {
        let (programme, latest_before) = lock_with_latest(conn, key)?;
        let programme_id = programme.id;
        if provenance.owners_only {
            let reporter = provenance.reported_by.unwrap_or_default();
            if !crate::programmes::is_owner(conn, programme_id, reporter)? {
                return Err(DbError::Forbidden(format!(
                    "only the programme's owners may report on '{}', and you are not one",
                    programme.code
                )));
            }
        }
        let reported_at = provenance.reported_at.unwrap_or_else(crate::now);
        let previous_rating = programme.current_rating()?;
        let row: StatusReportRow = diesel::insert_into(status_reports::table)
            .values(&NewRow {
                programme_id,
                rating: report.rating.as_str(),
                rationale: &report.rationale,
                period_end: report.period_end,
                reported_by: provenance.reported_by,
                reported_at,
                source: provenance.source,
            })
            .returning(status_reports::all_columns)
            .get_result(conn)?;

        let is_latest = latest_before.is_none_or(|latest| reported_at >= latest);
        if is_latest {
            // "Since" is when the programme entered its current rating: unchanged by a
            // report that repeats it.
            let since = match (previous_rating, programme.rating_since) {
                (Some(previous), Some(since)) if previous == report.rating => since,
                _ => reported_at,
            };
            let alert = crate::alerts::status_report_alert(
                alerts,
                actor,
                &programme,
                previous_rating,
                &row,
            )?;
            diesel::update(programmes::table.find(programme_id))
                .set((
                    programmes::current_rating.eq(Some(report.rating.as_str())),
                    programmes::rating_since.eq(Some(since)),
                    programmes::version.eq(programmes::version + 1),
                    programmes::updated_at.eq(crate::now()),
                ))
                .execute(conn)?;
            if let Some(alert) = &alert {
                crate::alerts::queue_recorded(conn, alerts, alert)?;
            }
        }
        audit::record(
            conn,
            actor,
            "create",
            "status_report",
            &row.id.to_string(),
            None::<&StatusReportRow>,
            Some(&row),
        )?;
        let turned_red = is_latest && rating::turns_red(previous_rating, report.rating);
        Ok(Recorded {
            report: row,
            previous_rating: if is_latest { previous_rating } else { None },
            turned_red,
        })
    })
}

/// The programme, locked for this write transaction (see `programmes::lock`), and when
/// its latest report was made, in one statement: a report's round trips to the
/// database are most of its cost.
fn lock_with_latest(
    conn: &mut DbConnection,
    key: ProgrammeKey<'_>,
) -> Result<(ProgrammeRow, Option<NaiveDateTime>), DbError> {
    /// The query, written out once per backend and key: a locking clause, and each
    /// backend's select clause, need the query's concrete type.
    macro_rules! with_latest {
        ($filter:expr) => {
            programmes::table
                .filter($filter)
                .select((ProgrammeRow::as_select(), LatestReportAt))
        };
    }
    macro_rules! find {
        ($filter:expr) => {
            match conn {
                DbConnection::Postgres(pg) => with_latest!($filter)
                    .for_no_key_update()
                    .get_result(pg)
                    .optional()?,
                // The write transaction already holds SQLite's one write lock.
                DbConnection::Sqlite(_) => with_latest!($filter).get_result(conn).optional()?,
            }
        };
    }
    let found = match key {
        ProgrammeKey::Id(id) => find!(programmes::id.eq(id)),
        ProgrammeKey::Code(code) => find!(programmes::code.eq(code)),
    };
    found.ok_or_else(|| match key {
        ProgrammeKey::Id(id) => DbError::not_found("programme", id),
        ProgrammeKey::Code(code) => DbError::not_found("programme", code),
    })
}

/// When a programme's latest report was made, as a column of a query on programmes: a
/// correlated subquery, which Diesel's query builder cannot write. Unlike `dsl::sql`,
/// its text is fixed, so the statement is prepared once per connection and reused.
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
pub(crate) struct LatestReportAt;

impl diesel::expression::Expression for LatestReportAt {
    type SqlType = diesel::sql_types::Nullable<diesel::sql_types::Timestamp>;
}

impl<DB: diesel::backend::Backend> diesel::query_builder::QueryFragment<DB> for LatestReportAt {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> QueryResult<()> {
        out.push_sql(
            "(SELECT max(r.reported_at) FROM status_reports r WHERE r.programme_id = programmes.id)",
        );
        Ok(())
    }
}

impl diesel::expression::AppearsOnTable<programmes::table> for LatestReportAt {}
impl diesel::expression::SelectableExpression<programmes::table> for LatestReportAt {}
impl<GroupBy> diesel::expression::ValidGrouping<GroupBy> for LatestReportAt {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

/// A programme's reports, newest first.
pub fn for_programme(
    conn: &mut DbConnection,
    programme_id: i64,
) -> Result<Vec<StatusReportRow>, DbError> {
    Ok(status_reports::table
        .filter(status_reports::programme_id.eq(programme_id))
        .order((
            status_reports::reported_at.desc(),
            status_reports::id.desc(),
        ))
        .select(StatusReportRow::as_select())
        .load(conn)?)
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

pub fn count(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(status_reports::table.count().get_result(conn)?)
}

/// One page of a programme's reports, newest first, before report `before_id` when
/// given, with one extra row to tell whether another page follows.
pub fn page(
    conn: &mut DbConnection,
    programme_id: i64,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<StatusReportRow>, DbError> {
    let mut query = status_reports::table
        .filter(status_reports::programme_id.eq(programme_id))
        .select(StatusReportRow::as_select())
        .into_boxed();
    if let Some(before) = before_id {
        // Newest first is (reported_at, id) descending; ids follow commit order for
        // reports made in Beacon, and the cursor's report bounds both.
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
    Ok(query
        .order((
            status_reports::reported_at.desc(),
            status_reports::id.desc(),
        ))
        .limit(limit + 1)
        .load(conn)?)
}
