//! Programmes: the register itself.

use beacon_core::audit_trail::{AuditAction, AuditEntity};
use std::collections::HashMap;

use beacon_core::{CapabilityArea, FinancialYear, ForceId, NewProgramme, Rating, Stage};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::backend;
use crate::connection::{DbConnection, Tx};
use crate::error::DbError;
use crate::records::{Programme, YearTotals, all};
use crate::rows::{ProgrammeRow, TotalsRow};
use crate::schema::{programme_year_totals as totals, programmes};

/// The columns a person sets; the rest (rating, version, times) Beacon keeps.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = programmes, treat_none_as_default_value = false, treat_none_as_null = true)]
struct ProgrammeFields<'a> {
    code: &'a str,
    name: &'a str,
    description: &'a str,
    capability_area: &'a str,
    sponsor: &'a str,
    lead_force_id: Option<&'a str>,
    stage: &'a str,
    start_date: Option<chrono::NaiveDate>,
    planned_end_date: Option<chrono::NaiveDate>,
    whole_life_cost_pence: Option<i64>,
}

impl<'a> From<&'a NewProgramme> for ProgrammeFields<'a> {
    fn from(p: &'a NewProgramme) -> Self {
        ProgrammeFields {
            code: p.code.as_str(),
            name: &p.name,
            description: &p.description,
            capability_area: p.capability_area.as_str(),
            sponsor: &p.sponsor,
            lead_force_id: p.lead_force.as_ref().map(|f| f.as_str()),
            stage: p.stage.as_str(),
            start_date: p.start_date,
            planned_end_date: p.planned_end_date,
            whole_life_cost_pence: p.whole_life_cost.map(|c| c.get()),
        }
    }
}

pub fn insert(
    tx: &mut Tx<'_>,
    actor: &Actor,
    programme: &NewProgramme,
) -> Result<Programme, DbError> {
    let now = crate::now();
    let row: ProgrammeRow = diesel::insert_into(programmes::table)
        .values((
            ProgrammeFields::from(programme),
            programmes::version.eq(1i64),
            programmes::created_at.eq(now),
            programmes::updated_at.eq(now),
        ))
        .returning(programmes::all_columns)
        .get_result(&mut **tx)?;
    audit::record(
        tx,
        actor,
        AuditAction::Create,
        AuditEntity::Programme,
        &row.code,
        None::<&ProgrammeRow>,
        Some(&row),
    )?;
    Programme::try_from(row)
}

/// Replaces a programme's details, as a new version.
pub fn update(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    programme: &NewProgramme,
) -> Result<Programme, DbError> {
    let before = row(tx, id)?;
    let after: ProgrammeRow = diesel::update(programmes::table.find(id))
        .set((
            ProgrammeFields::from(programme),
            programmes::version.eq(programmes::version + 1),
            programmes::updated_at.eq(crate::now()),
        ))
        .returning(programmes::all_columns)
        .get_result(&mut **tx)?;
    audit::record(
        tx,
        actor,
        AuditAction::Update,
        AuditEntity::Programme,
        &after.code,
        Some(&before),
        Some(&after),
    )?;
    Programme::try_from(after)
}

/// Makes `rating` the programme's current one, held since `since`, as a new version.
/// The status report that sets it carries the audit entry.
pub fn set_rating(
    tx: &mut Tx<'_>,
    id: i64,
    rating: Rating,
    since: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::update(programmes::table.find(id))
        .set((
            programmes::current_rating.eq(Some(rating.as_str())),
            programmes::rating_since.eq(Some(since)),
            programmes::version.eq(programmes::version + 1),
            programmes::updated_at.eq(crate::now()),
        ))
        .execute(&mut **tx)?;
    Ok(())
}

/// The owners are part of what a programme's version (and ETag) stands for, so a
/// change to them is a new version.
pub(crate) fn bump_version(tx: &mut Tx<'_>, id: i64) -> Result<(), DbError> {
    diesel::update(programmes::table.find(id))
        .set(programmes::version.eq(programmes::version + 1))
        .execute(&mut **tx)?;
    Ok(())
}

/// The programme with `code`, locked until this transaction ends (see `backend`).
pub fn lock(tx: &mut Tx<'_>, code: &str) -> Result<Programme, DbError> {
    backend::lock_programme(tx, code)?
        .ok_or_else(|| DbError::not_found("programme", code))
        .and_then(Programme::try_from)
}

fn row(conn: &mut DbConnection, id: i64) -> Result<ProgrammeRow, DbError> {
    programmes::table
        .find(id)
        .select(ProgrammeRow::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| DbError::not_found("programme", id))
}

pub fn get(conn: &mut DbConnection, id: i64) -> Result<Programme, DbError> {
    Programme::try_from(row(conn, id)?)
}

pub fn find_by_code(conn: &mut DbConnection, code: &str) -> Result<Option<Programme>, DbError> {
    programmes::table
        .filter(programmes::code.eq(code))
        .select(ProgrammeRow::as_select())
        .get_result(conn)
        .optional()?
        .map(Programme::try_from)
        .transpose()
}

pub fn get_by_code(conn: &mut DbConnection, code: &str) -> Result<Programme, DbError> {
    find_by_code(conn, code)?.ok_or_else(|| DbError::not_found("programme", code))
}

/// Every programme, by code.
pub fn list(conn: &mut DbConnection) -> Result<Vec<Programme>, DbError> {
    let rows: Vec<ProgrammeRow> = programmes::table
        .order(programmes::code.asc())
        .select(ProgrammeRow::as_select())
        .load(conn)?;
    all(rows)
}

/// The codes of `ids`, by id.
pub fn codes(conn: &mut DbConnection, ids: &[i64]) -> Result<HashMap<i64, String>, DbError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(programmes::table
        .filter(programmes::id.eq_any(ids))
        .select((programmes::id, programmes::code))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

/// What a programme list may be narrowed to; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub rating: Option<Rating>,
    pub stage: Option<Stage>,
    /// Matched without regard to case.
    pub sponsor: Option<String>,
    pub capability_area: Option<CapabilityArea>,
    pub lead_force: Option<ForceId>,
    /// Words to find in the code, name or description, without regard to case.
    pub text: Option<String>,
    /// Only these programmes, by id: the ones a user owns, say.
    pub within: Option<Vec<i64>>,
}

impl Filter {
    /// Whether `programme`, rated `rating`, passes: the same tests as [`page`]'s SQL,
    /// for a register read back as it stood on a past date.
    pub fn matches(&self, programme: &Programme, rating: Option<Rating>) -> bool {
        let contains = |haystack: &str, needle: &str| haystack.to_lowercase().contains(needle);
        self.rating.is_none_or(|wanted| rating == Some(wanted))
            && self.stage.is_none_or(|s| programme.stage == s)
            && self
                .sponsor
                .as_ref()
                .is_none_or(|s| programme.sponsor.to_lowercase() == s.to_lowercase())
            && self
                .capability_area
                .as_ref()
                .is_none_or(|a| &programme.capability_area == a)
            && self
                .lead_force
                .as_ref()
                .is_none_or(|f| programme.lead_force.as_ref() == Some(f))
            && self
                .within
                .as_ref()
                .is_none_or(|ids| ids.contains(&programme.id))
            && self.text.as_ref().is_none_or(|t| {
                search_words(t).iter().all(|word| {
                    contains(programme.code.as_str(), word)
                        || contains(&programme.name, word)
                        || contains(&programme.description, word)
                })
            })
    }
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// The words of a search, in lower case: a programme matches when each word is in its
/// code, name or description, wherever it falls, as "Police National Database
/// transformation programme" finds the name with "(PND)" in the middle.
pub fn search_words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_lowercase).collect()
}

/// Escapes LIKE's wildcards so that a search for `50%` finds "50%".
fn like_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Up to `limit` programmes in code order, after `after_code` when given, each with its
/// money in `year` (zeros when none is recorded), read in the same statement.
pub fn page(
    conn: &mut DbConnection,
    filter: &Filter,
    after_code: Option<&str>,
    limit: i64,
    year: FinancialYear,
) -> Result<Vec<(Programme, YearTotals)>, DbError> {
    let in_year = totals::programme_id
        .eq(programmes::id)
        .and(totals::financial_year.eq(year.start_year()));
    let mut query = programmes::table
        .left_join(totals::table.on(in_year))
        .select((ProgrammeRow::as_select(), Option::<TotalsRow>::as_select()))
        .into_boxed();
    if let Some(rating) = filter.rating {
        query = query.filter(programmes::current_rating.eq(rating.as_str()));
    }
    if let Some(stage) = filter.stage {
        query = query.filter(programmes::stage.eq(stage.as_str()));
    }
    if let Some(sponsor) = &filter.sponsor {
        query = query.filter(lower(programmes::sponsor).eq(sponsor.to_lowercase()));
    }
    if let Some(area) = &filter.capability_area {
        query = query.filter(programmes::capability_area.eq(area.as_str().to_string()));
    }
    if let Some(force) = &filter.lead_force {
        query = query.filter(programmes::lead_force_id.eq(force.as_str().to_string()));
    }
    for word in filter.text.as_deref().map(search_words).unwrap_or_default() {
        let pattern = like_pattern(&word);
        query = query.filter(
            lower(programmes::code)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(programmes::name).like(pattern.clone()).escape('\\'))
                .or(lower(programmes::description).like(pattern).escape('\\')),
        );
    }
    if let Some(ids) = &filter.within {
        query = query.filter(programmes::id.eq_any(ids.clone()));
    }
    if let Some(after) = after_code {
        query = query.filter(programmes::code.gt(after.to_string()));
    }
    let rows: Vec<(ProgrammeRow, Option<TotalsRow>)> = query
        .order(programmes::code.asc())
        .limit(limit)
        .load(conn)?;
    rows.into_iter()
        .map(|(programme, money)| {
            let programme = Programme::try_from(programme)?;
            let money = match money {
                Some(money) => YearTotals::try_from(money)?,
                None => YearTotals::zero(programme.id, year),
            };
            Ok((programme, money))
        })
        .collect()
}
