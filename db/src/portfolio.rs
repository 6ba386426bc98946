//! The portfolio at a glance: every programme's rating and its money for one year,
//! read from the yearly totals rather than summed from the ledger.

use beacon_core::{FinancialYear, Pence, Rating};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use crate::connection::DbConnection;
use crate::error::DbError;
use std::collections::HashMap;

use crate::models::{ProgrammeRow, stored};
use crate::schema::{programme_year_totals as totals, programmes};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortfolioLine {
    pub code: String,
    pub name: String,
    pub rating: Option<Rating>,
    pub rating_since: Option<NaiveDateTime>,
    pub allocated: Pence,
    pub spent_run: Pence,
    pub spent_change: Pence,
}

type LineRow = (
    String,
    String,
    Option<String>,
    Option<NaiveDateTime>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// Every programme, by code, with its allocation and spend in `year`.
pub fn for_year(
    conn: &mut DbConnection,
    year: FinancialYear,
) -> Result<Vec<PortfolioLine>, DbError> {
    let rows: Vec<LineRow> = programmes::table
        .left_join(
            totals::table.on(totals::programme_id
                .eq(programmes::id)
                .and(totals::financial_year.eq(year.start_year()))),
        )
        .order(programmes::code.asc())
        .select((
            programmes::code,
            programmes::name,
            programmes::current_rating,
            programmes::rating_since,
            totals::allocated_pence.nullable(),
            totals::spent_run_pence.nullable(),
            totals::spent_change_pence.nullable(),
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |(code, name, rating, rating_since, allocated, run, change)| {
                Ok(PortfolioLine {
                    rating: rating.as_deref().map(|r| stored(r, "rating")).transpose()?,
                    code,
                    name,
                    rating_since,
                    allocated: Pence::new(allocated.unwrap_or(0)),
                    spent_run: Pence::new(run.unwrap_or(0)),
                    spent_change: Pence::new(change.unwrap_or(0)),
                })
            },
        )
        .collect()
}

/// A programme's rating as it stood at a past moment: its latest report before then,
/// and since when it had held that rating.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct RatingAt {
    #[diesel(sql_type = BigInt)]
    pub programme_id: i64,
    #[diesel(sql_type = Text)]
    pub rating: String,
    #[diesel(sql_type = Timestamp)]
    pub reported_at: NaiveDateTime,
    #[diesel(sql_type = Timestamp)]
    pub since: NaiveDateTime,
}

/// Every programme's (or `ids`') rating from its latest status report made before `end`,
/// with when it entered that rating (the first report after the last one that differed).
/// Programmes with no report before `end` are absent. One statement: each programme
/// finds its latest report through the (programme, reported_at) index.
pub fn ratings_before(
    conn: &mut DbConnection,
    end: NaiveDateTime,
    ids: Option<&[i64]>,
) -> Result<Vec<RatingAt>, DbError> {
    // The last report before `end` with another rating: for each other rating, its
    // latest report through the (programme, rating, reported_at) index; the greatest of
    // those. Both backends' greatest-of functions see no NULLs, so they agree.
    // PostgreSQL would flatten the per-programme lookup into a hash join over every
    // report; OFFSET 0 keeps it a lookup per programme. SQLite plans it that way as is.
    let (greatest, fence) = match conn {
        DbConnection::Postgres(_) => ("GREATEST", " OFFSET 0"),
        DbConnection::Sqlite(_) => ("max", ""),
    };
    let other_ratings: Vec<String> = Rating::ALL
        .iter()
        .map(|rating| {
            let rating = rating.as_str();
            format!(
                "COALESCE((SELECT MAX(t.reported_at) FROM status_reports t
                           WHERE t.programme_id = x.programme_id AND t.rating = '{rating}'
                             AND t.reported_at < $1 AND r.rating <> '{rating}'), $2)"
            )
        })
        .collect();
    // `$1`, `$2`: numbered placeholders on PostgreSQL, named ones on SQLite, where they
    // take positions 1 and 2 by first appearance, as here.
    let sql = format!(
        "SELECT x.programme_id, r.rating, r.reported_at,
                (SELECT MIN(s.reported_at) FROM status_reports s
                 WHERE s.programme_id = x.programme_id AND s.reported_at < $1
                   AND s.reported_at > {greatest}({})) AS since
         FROM (SELECT p.id AS programme_id,
                      (SELECT s.id FROM status_reports s
                       WHERE s.programme_id = p.id AND s.reported_at < $1
                       ORDER BY s.reported_at DESC, s.id DESC LIMIT 1) AS report_id
               FROM programmes p {}{fence}) AS x
         JOIN status_reports r ON r.id = x.report_id
         ORDER BY x.programme_id",
        other_ratings.join(", "),
        id_condition("p.id", ids)
    );
    Ok(diesel::sql_query(sql)
        .bind::<Timestamp, _>(end)
        .bind::<Timestamp, _>(epoch())
        .load(conn)?)
}

/// The earliest time any report can carry.
fn epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(1900, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or(NaiveDateTime::MIN)
}

/// `WHERE column IN (ids)` written with integer literals (nothing from a request reaches
/// the SQL text), or nothing for every row.
fn id_condition(column: &str, ids: Option<&[i64]>) -> String {
    match ids {
        None => String::new(),
        Some([]) => "WHERE 1 = 0".to_string(),
        Some(ids) => {
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            format!("WHERE {column} IN ({})", list.join(", "))
        }
    }
}

/// A programme's funding shortfall in one year: what cuts to an envelope withdrew.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall {
    pub programme_id: i64,
    pub financial_year: i32,
    pub pence: i64,
}

/// The shortfalls of every programme (or `ids`) from cuts recorded before `end` (or
/// ever), by programme and year. Reads only withdrawals made by cuts, through their
/// partial index.
pub fn shortfalls(
    conn: &mut DbConnection,
    ids: Option<&[i64]>,
    end: Option<NaiveDateTime>,
) -> Result<Vec<Shortfall>, DbError> {
    use crate::schema::ledger_entries as ledger;
    let mut query = ledger::table
        .filter(ledger::envelope_change_id.is_not_null())
        .select((
            ledger::programme_id,
            ledger::financial_year,
            ledger::amount_pence,
            ledger::recorded_at,
        ))
        .into_boxed();
    if let Some(ids) = ids {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        query = query.filter(ledger::programme_id.eq_any(ids));
    }
    // The time is checked here rather than in SQL: with it in the query the planner
    // would walk the whole ledger by time instead of the few cut withdrawals.
    let rows: Vec<(i64, i32, i64, NaiveDateTime)> = query.load(conn)?;
    let rows = rows
        .into_iter()
        .filter(|(_, _, _, at)| end.is_none_or(|end| *at < end))
        .map(|(programme_id, year, amount, _)| (programme_id, year, amount));
    let mut sums: std::collections::BTreeMap<(i64, i32), i64> = Default::default();
    for (programme_id, year, amount) in rows {
        *sums.entry((programme_id, year)).or_default() -= amount;
    }
    Ok(sums
        .into_iter()
        .map(|((programme_id, financial_year), pence)| Shortfall {
            programme_id,
            financial_year,
            pence,
        })
        .collect())
}

/// The register as it stood before `end`, read back from the audit trail: each
/// programme's record as its latest audit entry before then left it, and its owners
/// (user ids) then. Programmes with no audit entry before `end` (loaded behind the
/// application's back) are absent; callers fall back to the record as it is now.
pub struct RegisterAt {
    pub programmes: HashMap<i64, ProgrammeRow>,
    pub owners: HashMap<i64, Vec<i64>>,
}

#[derive(QueryableByName)]
struct RegisterEntry {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    entity: String,
    #[diesel(sql_type = Text)]
    action: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    before: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    after: Option<String>,
}

pub fn register_before(conn: &mut DbConnection, end: NaiveDateTime) -> Result<RegisterAt, DbError> {
    use crate::models::OwnerRow;
    // Written out, not built: the condition must read exactly as the partial index
    // `audit_log_register` does for either database to use it; the trail is long and
    // these entries few. Sorted here, as ordering there would walk the whole trail.
    let mut entries: Vec<RegisterEntry> = diesel::sql_query(
        "SELECT id, entity, action, before, after FROM audit_log
         WHERE entity IN ('programme', 'programme_owner') AND at < $1",
    )
    .bind::<Timestamp, _>(end)
    .load(conn)?;
    entries.sort_unstable_by_key(|e| e.id);
    let mut programmes = HashMap::new();
    let mut owners: HashMap<i64, Vec<i64>> = HashMap::new();
    for RegisterEntry {
        entity,
        action,
        before,
        after,
        ..
    } in entries
    {
        if entity == "programme" {
            if let Some(after) = after {
                let row: ProgrammeRow = serde_json::from_str(&after)?;
                programmes.insert(row.id, row);
            }
        } else if action == "add_owner" {
            if let Some(after) = after {
                let row: OwnerRow = serde_json::from_str(&after)?;
                owners
                    .entry(row.programme_id)
                    .or_default()
                    .push(row.user_id);
            }
        } else if let Some(before) = before {
            let row: OwnerRow = serde_json::from_str(&before)?;
            if let Some(list) = owners.get_mut(&row.programme_id) {
                list.retain(|&user| user != row.user_id);
            }
        }
    }
    Ok(RegisterAt { programmes, owners })
}

/// The emails of `user_ids`, by id.
pub fn emails(conn: &mut DbConnection, user_ids: &[i64]) -> Result<HashMap<i64, String>, DbError> {
    use crate::schema::users;
    if user_ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(users::table
        .filter(users::id.eq_any(user_ids))
        .select((users::id, users::email))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}
