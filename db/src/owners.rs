//! Who owns each programme: the users who report on it and hear of its alerts.

use beacon_core::audit_trail::{AuditAction, AuditEntity};
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::connection::{DbConnection, Tx};
use crate::error::DbError;
use crate::programmes::bump_version;
use crate::records::{Owner, Programme};
use crate::rows::OwnerRow;
use crate::schema::{programme_owners, users};

/// Makes a user an owner of a programme; false if they already were.
pub fn add(
    tx: &mut Tx<'_>,
    actor: &Actor,
    programme: &Programme,
    user_id: i64,
) -> Result<bool, DbError> {
    if find(tx, programme.id, user_id)?.is_some() {
        return Ok(false);
    }
    let row = OwnerRow {
        programme_id: programme.id,
        user_id,
        added_at: crate::now(),
    };
    diesel::insert_into(programme_owners::table)
        .values((
            programme_owners::programme_id.eq(row.programme_id),
            programme_owners::user_id.eq(row.user_id),
            programme_owners::added_at.eq(row.added_at),
        ))
        .execute(&mut **tx)?;
    bump_version(tx, programme.id)?;
    let entity_id = format!("{}/{user_id}", programme.code);
    audit::record(
        tx,
        actor,
        AuditAction::AddOwner,
        AuditEntity::ProgrammeOwner,
        &entity_id,
        None::<&OwnerRow>,
        Some(&row),
    )?;
    Ok(true)
}

/// Stops a user owning a programme; one who was not an owner is not found.
pub fn remove(
    tx: &mut Tx<'_>,
    actor: &Actor,
    programme: &Programme,
    user_id: i64,
) -> Result<(), DbError> {
    let entity_id = format!("{}/{user_id}", programme.code);
    let before =
        find(tx, programme.id, user_id)?.ok_or_else(|| DbError::not_found("owner", &entity_id))?;
    diesel::delete(programme_owners::table.find((programme.id, user_id))).execute(&mut **tx)?;
    bump_version(tx, programme.id)?;
    audit::record(
        tx,
        actor,
        AuditAction::RemoveOwner,
        AuditEntity::ProgrammeOwner,
        &entity_id,
        Some(&before),
        None::<&OwnerRow>,
    )?;
    Ok(())
}

fn find(
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

pub fn is_owner(conn: &mut DbConnection, programme_id: i64, user_id: i64) -> Result<bool, DbError> {
    Ok(find(conn, programme_id, user_id)?.is_some())
}

/// The owners of each of `programme_ids`, as (programme id, owner), in the order they
/// were added.
pub fn of(conn: &mut DbConnection, programme_ids: &[i64]) -> Result<Vec<(i64, Owner)>, DbError> {
    if programme_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, i64, String)> = programme_owners::table
        .inner_join(users::table)
        .filter(programme_owners::programme_id.eq_any(programme_ids))
        .order((programme_owners::added_at.asc(), users::id.asc()))
        .select((programme_owners::programme_id, users::id, users::email))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(programme_id, user_id, email)| (programme_id, Owner { user_id, email }))
        .collect())
}

/// The emails of a programme's active owners: who its alerts go to.
pub fn active_emails(conn: &mut DbConnection, programme_id: i64) -> Result<Vec<String>, DbError> {
    Ok(programme_owners::table
        .inner_join(users::table)
        .filter(programme_owners::programme_id.eq(programme_id))
        .filter(users::active.eq(true))
        .order(users::id.asc())
        .select(users::email)
        .load(conn)?)
}

/// The ids of the programmes `user_id` owns.
pub fn programme_ids_of(conn: &mut DbConnection, user_id: i64) -> Result<Vec<i64>, DbError> {
    Ok(programme_owners::table
        .filter(programme_owners::user_id.eq(user_id))
        .select(programme_owners::programme_id)
        .load(conn)?)
}

/// The programmes someone owns: only they have anyone to remind.
pub fn owned_programme_ids(conn: &mut DbConnection) -> Result<Vec<i64>, DbError> {
    Ok(programme_owners::table
        .select(programme_owners::programme_id)
        .distinct()
        .load(conn)?)
}
