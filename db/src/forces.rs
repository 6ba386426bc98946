//! Police forces.

use beacon_core::audit_trail::{AuditAction, AuditEntity};
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::connection::{DbConnection, Tx};
use crate::error::DbError;
use crate::records::all;
use crate::rows::ForceRow;
use crate::schema::forces;
use beacon_core::Force;

/// Adds a force unless one with its id exists; returns whether it was added.
pub fn insert_if_missing(tx: &mut Tx<'_>, actor: &Actor, force: &Force) -> Result<bool, DbError> {
    if find(tx, force.id.as_str())?.is_some() {
        return Ok(false);
    }
    let row = ForceRow {
        id: force.id.to_string(),
        name: force.name.clone(),
        ons_code: force.ons_code.clone(),
        country: force.country.clone(),
    };
    diesel::insert_into(forces::table)
        .values(&row)
        .execute(&mut **tx)?;
    audit::record(
        tx,
        actor,
        AuditAction::Create,
        AuditEntity::Force,
        &row.id,
        None::<&ForceRow>,
        Some(&row),
    )?;
    Ok(true)
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<Force>, DbError> {
    forces::table
        .find(id)
        .select(ForceRow::as_select())
        .get_result(conn)
        .optional()?
        .map(Force::try_from)
        .transpose()
}

pub fn get(conn: &mut DbConnection, id: &str) -> Result<Force, DbError> {
    find(conn, id)?.ok_or_else(|| DbError::not_found("force", id))
}

/// Every force, by name.
pub fn list(conn: &mut DbConnection) -> Result<Vec<Force>, DbError> {
    let rows: Vec<ForceRow> = forces::table
        .order(forces::name.asc())
        .select(ForceRow::as_select())
        .load(conn)?;
    all(rows)
}
