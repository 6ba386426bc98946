//! Police forces.

use beacon_core::Force;
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::connection::{DbConnection, write_transaction};
use crate::error::DbError;
use crate::models::ForceRow;
use crate::schema::forces;

/// Adds a force unless one with its id exists; returns whether it was added.
pub fn insert_if_missing(
    conn: &mut DbConnection,
    actor: &Actor,
    force: &Force,
) -> Result<bool, DbError> {
    write_transaction(conn, |conn| {
        if find(conn, force.id.as_str())?.is_some() {
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
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            "create",
            "force",
            &row.id,
            None::<&ForceRow>,
            Some(&row),
        )?;
        Ok(true)
    })
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<ForceRow>, DbError> {
    Ok(forces::table
        .find(id)
        .select(ForceRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn get(conn: &mut DbConnection, id: &str) -> Result<ForceRow, DbError> {
    find(conn, id)?.ok_or_else(|| DbError::not_found("force", id))
}

/// Every force, by name.
pub fn list(conn: &mut DbConnection) -> Result<Vec<ForceRow>, DbError> {
    Ok(forces::table
        .order(forces::name.asc())
        .select(ForceRow::as_select())
        .load(conn)?)
}

pub fn count(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(forces::table.count().get_result(conn)?)
}
