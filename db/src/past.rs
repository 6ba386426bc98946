//! The register as it stood at a past moment: ratings from the reports made by then,
//! and each programme's record and owners as the audit trail had them.

use std::collections::{HashMap, HashSet};

use beacon_core::Rating;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Text, Timestamp};

use crate::backend;
use crate::connection::DbConnection;
use crate::days::When;
use crate::error::DbError;
use crate::records::Programme;
use crate::rows::{OwnerRow, ProgrammeRow};
use crate::schema::programmes;

/// A programme's rating as it stood at a past moment: its latest report before then,
/// and since when it had held that rating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingAt {
    pub programme_id: i64,
    pub rating: Rating,
    pub reported_at: NaiveDateTime,
    pub since: NaiveDateTime,
    /// The rating held before `since`; `None` for a programme rated once only.
    pub previous: Option<Rating>,
}

#[derive(QueryableByName)]
struct RatingAtRow {
    #[diesel(sql_type = BigInt)]
    programme_id: i64,
    #[diesel(sql_type = Text)]
    rating: String,
    #[diesel(sql_type = Timestamp)]
    reported_at: NaiveDateTime,
    #[diesel(sql_type = Timestamp)]
    since: NaiveDateTime,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    previous: Option<String>,
}

impl RatingAtRow {
    fn read(self) -> Result<RatingAt, DbError> {
        let rating = |text: String| {
            text.parse::<Rating>()
                .map_err(|e| DbError::Corrupt(format!("rating: {e}")))
        };
        Ok(RatingAt {
            programme_id: self.programme_id,
            rating: rating(self.rating)?,
            reported_at: self.reported_at,
            since: self.since,
            previous: self.previous.map(rating).transpose()?,
        })
    }
}

/// Every programme's (or `ids`') rating from its latest status report made before `end`,
/// with when it entered that rating (the first report after the last one that differed)
/// and the rating it held before. Programmes with no report before `end` are absent.
/// One statement: each programme finds its latest report through the (programme,
/// reported_at) index.
pub fn ratings_before(
    conn: &mut DbConnection,
    end: NaiveDateTime,
    ids: Option<&[i64]>,
) -> Result<Vec<RatingAt>, DbError> {
    let sql = ratings_sql(conn, ids);
    let rows: Vec<RatingAtRow> = diesel::sql_query(sql)
        .bind::<Timestamp, _>(end)
        .bind::<Timestamp, _>(epoch())
        .load(conn)?;
    rows.into_iter().map(RatingAtRow::read).collect()
}

/// Every rated programme's rating now, as `ratings_before` a moment from now would
/// find it, read from the rating each programme keeps current (which a report updates
/// in its own transaction) with two lookups each for the last report and the rating
/// before: the present without recomputing every programme's history.
pub fn ratings_now(conn: &mut DbConnection) -> Result<Vec<RatingAt>, DbError> {
    let rows: Vec<RatingAtRow> = diesel::sql_query(
        "SELECT p.id AS programme_id, p.current_rating AS rating,
                COALESCE((SELECT MAX(s.reported_at) FROM status_reports s
                          WHERE s.programme_id = p.id), p.rating_since) AS reported_at,
                p.rating_since AS since,
                (SELECT b.rating FROM status_reports b
                 WHERE b.programme_id = p.id AND b.reported_at < p.rating_since
                 ORDER BY b.reported_at DESC, b.id DESC LIMIT 1) AS previous
         FROM programmes p
         WHERE p.current_rating IS NOT NULL AND p.rating_since IS NOT NULL
         ORDER BY p.id",
    )
    .load(conn)?;
    rows.into_iter().map(RatingAtRow::read).collect()
}

/// The statement `ratings_before` runs, `$1` being the moment and `$2` the epoch.
fn ratings_sql(conn: &mut DbConnection, ids: Option<&[i64]>) -> String {
    // For each programme, its latest report before `$1` (x), then for each other
    // rating that rating's latest report, through the (programme, rating, reported_at)
    // index (w). The greatest of those is when the rating last changed: the current one
    // was entered by the first report after it, and the one before is whichever rating
    // that greatest belongs to. Both backends' greatest-of functions see no NULLs, so
    // they agree. PostgreSQL would flatten the per-programme lookups into a hash join
    // over every report, which OFFSET 0 prevents; and both would compute w's lookups
    // again for each use of a column, which materialising w prevents.
    let (greatest, fence) = backend::greatest_and_fence(conn);
    let latest: Vec<String> = Rating::ALL
        .iter()
        .enumerate()
        .map(|(i, rating)| {
            let rating = rating.as_str();
            format!(
                "COALESCE((SELECT MAX(t.reported_at) FROM status_reports t
                           WHERE t.programme_id = x.programme_id AND t.rating = '{rating}'
                             AND t.reported_at < $1 AND r.rating <> '{rating}'), $2) AS m{i}"
            )
        })
        .collect();
    let columns: Vec<String> = (0..Rating::ALL.len()).map(|i| format!("w.m{i}")).collect();
    let previous: Vec<String> = Rating::ALL
        .iter()
        .enumerate()
        .map(|(i, rating)| format!("WHEN z.changed = z.m{i} THEN '{}'", rating.as_str()))
        .collect();
    // `$1`, `$2`: numbered placeholders on PostgreSQL, named ones on SQLite, where they
    // take positions 1 and 2 by first appearance, as here.
    format!(
        "WITH w AS MATERIALIZED (
             SELECT x.programme_id, r.rating, r.reported_at, {}
             FROM (SELECT p.id AS programme_id,
                          (SELECT s.id FROM status_reports s
                           WHERE s.programme_id = p.id AND s.reported_at < $1
                           ORDER BY s.reported_at DESC, s.id DESC LIMIT 1) AS report_id
                   FROM programmes p {}{fence}) AS x
             JOIN status_reports r ON r.id = x.report_id)
         SELECT z.programme_id, z.rating, z.reported_at,
                (SELECT MIN(s.reported_at) FROM status_reports s
                 WHERE s.programme_id = z.programme_id AND s.reported_at < $1
                   AND s.reported_at > z.changed) AS since,
                CASE WHEN z.changed = $2 THEN NULL {} END AS previous
         FROM (SELECT w.*, {greatest}({}) AS changed FROM w) AS z
         ORDER BY z.programme_id",
        latest.join(", "),
        id_condition("p.id", ids),
        previous.join(" "),
        columns.join(", "),
    )
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

/// The register as it stood before `end`, read back from the audit trail: each
/// programme's record as its latest audit entry before then left it, and its owners
/// (user ids) then. Programmes with no audit entry before `end` (loaded behind the
/// application's back) are absent; callers fall back to the record as it is now.
pub struct RegisterAt {
    pub programmes: HashMap<i64, Programme>,
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

/// A programme or owner as an audit entry's image shows it, in either form the trail
/// has kept them (`audit_terms`).
fn read_image<T: serde::de::DeserializeOwned>(
    text: &str,
    programme_ids: &HashMap<String, i64>,
) -> Result<T, DbError> {
    let image = crate::audit_terms::as_row(serde_json::from_str(text)?, programme_ids);
    Ok(serde_json::from_value(image)?)
}

pub fn register_before(conn: &mut DbConnection, end: NaiveDateTime) -> Result<RegisterAt, DbError> {
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
    let ids: HashMap<String, i64> = programmes::table
        .select((programmes::code, programmes::id))
        .load(conn)?
        .into_iter()
        .collect();
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
                let row: ProgrammeRow = read_image(&after, &ids)?;
                programmes.insert(row.id, Programme::try_from(row)?);
            }
        } else if action == "add_owner" {
            if let Some(after) = after {
                let row: OwnerRow = read_image(&after, &ids)?;
                owners
                    .entry(row.programme_id)
                    .or_default()
                    .push(row.user_id);
            }
        } else if let Some(before) = before {
            let row: OwnerRow = read_image(&before, &ids)?;
            if let Some(list) = owners.get_mut(&row.programme_id) {
                list.retain(|&user| user != row.user_id);
            }
        }
    }
    Ok(RegisterAt { programmes, owners })
}

#[derive(QueryableByName)]
struct ProgrammeId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Which of `candidates` had money that had taken effect by the end of `when.day`
/// (and, for an answer as known on a day, was recorded by then): money for a programme
/// says it existed, whether or not it had a start date or a rating yet.
pub fn funded_by(
    conn: &mut DbConnection,
    when: When,
    candidates: &[i64],
) -> Result<HashSet<i64>, DbError> {
    if candidates.is_empty() {
        return Ok(HashSet::new());
    }
    // Ids are integers, written as literals: nothing from a request reaches the text.
    let list: Vec<String> = candidates.iter().map(i64::to_string).collect();
    let among = format!("p.id IN ({})", list.join(", "));
    let ids: Vec<ProgrammeId> = match when.known_before {
        // The day rows start on each programme-year's first effective day.
        None => diesel::sql_query(format!(
            "SELECT p.id FROM programmes p WHERE {among} AND EXISTS (
                 SELECT 1 FROM programme_days d WHERE d.programme_id = p.id AND d.day <= $1)"
        ))
        .bind::<Date, _>(when.day)
        .load(conn)?,
        Some(known_before) => diesel::sql_query(format!(
            "SELECT p.id FROM programmes p
             WHERE {among} AND (
                 EXISTS (SELECT 1 FROM ledger_entries l WHERE l.programme_id = p.id
                           AND l.effective_on <= $1 AND l.recorded_at < $2)
                 OR EXISTS (SELECT 1 FROM spend_entries s WHERE s.programme_id = p.id
                           AND s.effective_on <= $1 AND s.recorded_at < $2))"
        ))
        .bind::<Date, _>(when.day)
        .bind::<Timestamp, _>(known_before)
        .load(conn)?,
    };
    Ok(ids.into_iter().map(|p| p.id).collect())
}
