//! Programmes and their owners.

use beacon_core::{NewProgramme, ValidationErrors};
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::connection::{DbConnection, write_transaction};
use crate::error::DbError;
use crate::models::{OwnerRow, ProgrammeRow, UserRow};
use crate::schema::{programme_owners, programmes, users};

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

/// A lead force that does not exist is a field error the caller can fix.
fn check_lead_force(conn: &mut DbConnection, programme: &NewProgramme) -> Result<(), DbError> {
    if let Some(force) = &programme.lead_force {
        if crate::forces::find(conn, force.as_str())?.is_none() {
            return Err(DbError::Invalid(ValidationErrors::single(
                "lead_force",
                format!("no force has the id '{force}'; see the list of forces"),
            )));
        }
    }
    Ok(())
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    programme: &NewProgramme,
) -> Result<ProgrammeRow, DbError> {
    write_transaction(conn, |conn| {
        if find_by_code(conn, programme.code.as_str())?.is_some() {
            return Err(DbError::Conflict(format!(
                "a programme with code '{}' already exists",
                programme.code
            )));
        }
        check_lead_force(conn, programme)?;
        let now = crate::now();
        let row: ProgrammeRow = diesel::insert_into(programmes::table)
            .values((
                ProgrammeFields::from(programme),
                programmes::version.eq(1i64),
                programmes::created_at.eq(now),
                programmes::updated_at.eq(now),
            ))
            .returning(programmes::all_columns)
            .get_result(conn)?;
        audit::record(
            conn,
            actor,
            "create",
            "programme",
            &row.code,
            None::<&ProgrammeRow>,
            Some(&row),
        )?;
        Ok(row)
    })
}

/// Replaces a programme's details. With `expected_version`, refuses a change made
/// against an out-of-date copy (someone else changed it since it was read).
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    code: &str,
    programme: &NewProgramme,
    expected_version: Option<i64>,
) -> Result<ProgrammeRow, DbError> {
    write_transaction(conn, |conn| {
        let before = get_by_code(conn, code)?;
        if let Some(expected) = expected_version {
            if expected != before.version {
                return Err(DbError::Stale(format!(
                    "programme '{code}' has changed since version {expected} was read (it is now version {})",
                    before.version
                )));
            }
        }
        if programme.code.as_str() != code && find_by_code(conn, programme.code.as_str())?.is_some()
        {
            return Err(DbError::Conflict(format!(
                "a programme with code '{}' already exists",
                programme.code
            )));
        }
        check_lead_force(conn, programme)?;
        let after: ProgrammeRow = diesel::update(programmes::table.find(before.id))
            .set((
                ProgrammeFields::from(programme),
                programmes::version.eq(programmes::version + 1),
                programmes::updated_at.eq(crate::now()),
            ))
            .returning(programmes::all_columns)
            .get_result(conn)?;
        audit::record(
            conn,
            actor,
            "update",
            "programme",
            &after.code,
            Some(&before),
            Some(&after),
        )?;
        Ok(after)
    })
}

pub fn find_by_code(conn: &mut DbConnection, code: &str) -> Result<Option<ProgrammeRow>, DbError> {
    Ok(programmes::table
        .filter(programmes::code.eq(code))
        .select(ProgrammeRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn get_by_code(conn: &mut DbConnection, code: &str) -> Result<ProgrammeRow, DbError> {
    find_by_code(conn, code)?.ok_or_else(|| DbError::not_found("programme", code))
}

/// Every programme, by code.
pub fn list(conn: &mut DbConnection) -> Result<Vec<ProgrammeRow>, DbError> {
    Ok(programmes::table
        .order(programmes::code.asc())
        .select(ProgrammeRow::as_select())
        .load(conn)?)
}

pub fn count(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(programmes::table.count().get_result(conn)?)
}

/// Makes a user an owner of a programme; returns false if they already were.
pub fn add_owner(
    conn: &mut DbConnection,
    actor: &Actor,
    programme_id: i64,
    user_id: i64,
) -> Result<bool, DbError> {
    write_transaction(conn, |conn| {
        crate::users::get(conn, user_id)?;
        let programme = get_by_id(conn, programme_id)?;
        if find_owner(conn, programme_id, user_id)?.is_some() {
            return Ok(false);
        }
        let row = OwnerRow {
            programme_id,
            user_id,
            added_at: crate::now(),
        };
        diesel::insert_into(programme_owners::table)
            .values((
                programme_owners::programme_id.eq(row.programme_id),
                programme_owners::user_id.eq(row.user_id),
                programme_owners::added_at.eq(row.added_at),
            ))
            .execute(conn)?;
        bump_version(conn, programme_id)?;
        let entity_id = format!("{}/{user_id}", programme.code);
        audit::record(
            conn,
            actor,
            "add_owner",
            "programme_owner",
            &entity_id,
            None::<&OwnerRow>,
            Some(&row),
        )?;
        Ok(true)
    })
}

/// Removes an owner; a user who was not an owner is not found.
pub fn remove_owner(
    conn: &mut DbConnection,
    actor: &Actor,
    programme_id: i64,
    user_id: i64,
) -> Result<(), DbError> {
    write_transaction(conn, |conn| {
        let programme = get_by_id(conn, programme_id)?;
        let entity_id = format!("{}/{user_id}", programme.code);
        let before = find_owner(conn, programme_id, user_id)?
            .ok_or_else(|| DbError::not_found("owner", &entity_id))?;
        diesel::delete(programme_owners::table.find((programme_id, user_id))).execute(conn)?;
        bump_version(conn, programme_id)?;
        audit::record(
            conn,
            actor,
            "remove_owner",
            "programme_owner",
            &entity_id,
            Some(&before),
            None::<&OwnerRow>,
        )?;
        Ok(())
    })
}

/// The owners are part of what a programme's version (and ETag) stands for, so a
/// change to them is a new version.
fn bump_version(conn: &mut DbConnection, programme_id: i64) -> Result<(), DbError> {
    diesel::update(programmes::table.find(programme_id))
        .set(programmes::version.eq(programmes::version + 1))
        .execute(conn)?;
    Ok(())
}

fn find_owner(
    conn: &mut DbConnection,
    programme_id: i64,
    user_id: i64,
) -> Result<Option<OwnerRow>, DbError> {
    Ok(programme_owners::table
        .find((programme_id, user_id))
        .select(OwnerRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// A programme's owners, in the order they were added.
pub fn owners(conn: &mut DbConnection, programme_id: i64) -> Result<Vec<UserRow>, DbError> {
    Ok(programme_owners::table
        .inner_join(users::table)
        .filter(programme_owners::programme_id.eq(programme_id))
        .order((programme_owners::added_at.asc(), users::id.asc()))
        .select(UserRow::as_select())
        .load(conn)?)
}

pub fn get_by_id(conn: &mut DbConnection, id: i64) -> Result<ProgrammeRow, DbError> {
    programmes::table
        .find(id)
        .select(ProgrammeRow::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| DbError::not_found("programme", id))
}

/// Reads a programme inside a write transaction so that no other writer can change it
/// before this one commits: a row lock on PostgreSQL; on SQLite the transaction
/// already holds the database's write lock.
///
/// The lock is `FOR NO KEY UPDATE`, which is all a change that keeps the programme's
/// id needs: unlike `FOR UPDATE` it lets rows that refer to the programme be written
/// meanwhile (their foreign key check takes `FOR KEY SHARE`), so the alert worker
/// filing a programme's alerts, or a ledger entry on it, does not wait for its report
/// to commit, nor a report for them.
pub(crate) fn lock(conn: &mut DbConnection, id: i64) -> Result<ProgrammeRow, DbError> {
    let row = match conn {
        DbConnection::Postgres(pg) => programmes::table
            .find(id)
            .select(ProgrammeRow::as_select())
            .for_no_key_update()
            .get_result(pg)
            .optional()?,
        DbConnection::Sqlite(_) => return get_by_id(conn, id),
    };
    row.ok_or_else(|| DbError::not_found("programme", id))
}

/// What a programme list may be narrowed to; every field optional.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub rating: Option<String>,
    pub stage: Option<String>,
    /// Matched without regard to case.
    pub sponsor: Option<String>,
    pub capability_area: Option<String>,
    pub lead_force: Option<String>,
    /// Words to find in the code, name or description, without regard to case.
    pub text: Option<String>,
}

impl Filter {
    /// Whether `row` passes the filters other than the rating: the same tests as
    /// [`page`]'s SQL, for a register read back as it stood on a past date.
    pub fn matches_except_rating(&self, row: &ProgrammeRow) -> bool {
        let contains = |haystack: &str, needle: &str| haystack.to_lowercase().contains(needle);
        self.stage.as_ref().is_none_or(|s| &row.stage == s)
            && self
                .sponsor
                .as_ref()
                .is_none_or(|s| row.sponsor.to_lowercase() == s.to_lowercase())
            && self
                .capability_area
                .as_ref()
                .is_none_or(|a| &row.capability_area == a)
            && self
                .lead_force
                .as_ref()
                .is_none_or(|f| row.lead_force_id.as_ref() == Some(f))
            && self.text.as_ref().is_none_or(|t| {
                let t = t.to_lowercase();
                contains(&row.code, &t) || contains(&row.name, &t) || contains(&row.description, &t)
            })
    }
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Escapes LIKE's wildcards so that a search for `50%` finds "50%".
fn like_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// One page of programmes in code order, after `after_code` when given. Fetches one
/// more row than `limit` so the caller knows whether another page follows.
pub fn page(
    conn: &mut DbConnection,
    filter: &Filter,
    after_code: Option<&str>,
    limit: i64,
) -> Result<Vec<ProgrammeRow>, DbError> {
    let mut query = programmes::table
        .select(ProgrammeRow::as_select())
        .into_boxed();
    if let Some(rating) = &filter.rating {
        query = query.filter(programmes::current_rating.eq(rating.clone()));
    }
    if let Some(stage) = &filter.stage {
        query = query.filter(programmes::stage.eq(stage.clone()));
    }
    if let Some(sponsor) = &filter.sponsor {
        query = query.filter(lower(programmes::sponsor).eq(sponsor.to_lowercase()));
    }
    if let Some(area) = &filter.capability_area {
        query = query.filter(programmes::capability_area.eq(area.clone()));
    }
    if let Some(force) = &filter.lead_force {
        query = query.filter(programmes::lead_force_id.eq(force.clone()));
    }
    if let Some(text) = &filter.text {
        let pattern = like_pattern(text);
        query = query.filter(
            lower(programmes::code)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(programmes::name).like(pattern.clone()).escape('\\'))
                .or(lower(programmes::description).like(pattern).escape('\\')),
        );
    }
    if let Some(after) = after_code {
        query = query.filter(programmes::code.gt(after.to_string()));
    }
    Ok(query
        .order(programmes::code.asc())
        .limit(limit + 1)
        .load(conn)?)
}

/// The owners of each of `programme_ids`, as (programme id, user id, email): what a
/// page of programmes shows, and no more.
pub fn owners_of(
    conn: &mut DbConnection,
    programme_ids: &[i64],
) -> Result<Vec<(i64, i64, String)>, DbError> {
    if programme_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(programme_owners::table
        .inner_join(users::table)
        .filter(programme_owners::programme_id.eq_any(programme_ids))
        .order((programme_owners::added_at.asc(), users::id.asc()))
        .select((programme_owners::programme_id, users::id, users::email))
        .load(conn)?)
}

/// Whether the user owns the programme.
pub fn is_owner(conn: &mut DbConnection, programme_id: i64, user_id: i64) -> Result<bool, DbError> {
    Ok(find_owner(conn, programme_id, user_id)?.is_some())
}
