//! User accounts. Passwords arrive here already hashed; this module never sees one.

use beacon_core::audit_trail::{AuditAction, AuditEntity};
use std::collections::HashMap;

use beacon_core::{Email, Role};
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::connection::{DbConnection, Tx};
use crate::error::DbError;
use crate::records::{Credentials, User, all};
use crate::rows::UserRow;
use crate::schema::users;

#[derive(Insertable)]
#[diesel(table_name = users)]
struct NewUserRow<'a> {
    email: &'a str,
    password_hash: &'a str,
    role: &'a str,
    active: bool,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

/// Adds an active user; an email already in use is a duplicate.
pub fn insert(
    tx: &mut Tx<'_>,
    actor: &Actor,
    email: &Email,
    role: Role,
    password_hash: &str,
) -> Result<User, DbError> {
    let now = crate::now();
    let row: UserRow = diesel::insert_into(users::table)
        .values(&NewUserRow {
            email: email.as_str(),
            password_hash,
            role: role.as_str(),
            active: true,
            created_at: now,
            updated_at: now,
        })
        .returning(users::all_columns)
        .get_result(&mut **tx)?;
    audit::record(
        tx,
        actor,
        AuditAction::Create,
        AuditEntity::User,
        &row.id.to_string(),
        None::<&UserRow>,
        Some(&row),
    )?;
    User::try_from(row)
}

/// What an administrator may change about a user.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub password_hash: Option<String>,
}

pub fn update(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    change: &UserChange,
) -> Result<User, DbError> {
    let before = row(tx, id)?;
    let role = change
        .role
        .map_or(before.role.clone(), |r| r.as_str().to_string());
    let password_hash = change
        .password_hash
        .clone()
        .unwrap_or_else(|| before.password_hash.clone());
    let active = change.active.unwrap_or(before.active);
    // Tokens issued before a change of password, role or standing end with it.
    let ends_tokens =
        change.password_hash.is_some() || role != before.role || active != before.active;
    let token_version = before.token_version + i64::from(ends_tokens);
    let after: UserRow = diesel::update(users::table.find(id))
        .set((
            users::role.eq(role),
            users::active.eq(active),
            users::password_hash.eq(password_hash),
            users::token_version.eq(token_version),
            users::updated_at.eq(crate::now()),
        ))
        .returning(users::all_columns)
        .get_result(&mut **tx)?;
    // The hash is never in the trail; a reset shows as its own action.
    let action = if change.password_hash.is_some() {
        AuditAction::ResetPassword
    } else {
        AuditAction::Update
    };
    audit::record(
        tx,
        actor,
        action,
        AuditEntity::User,
        &id.to_string(),
        Some(&before),
        Some(&after),
    )?;
    User::try_from(after)
}

fn row(conn: &mut DbConnection, id: i64) -> Result<UserRow, DbError> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| DbError::not_found("user", id))
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<User>, DbError> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .get_result(conn)
        .optional()?
        .map(User::try_from)
        .transpose()
}

pub fn get(conn: &mut DbConnection, id: i64) -> Result<User, DbError> {
    find(conn, id)?.ok_or_else(|| DbError::not_found("user", id))
}

pub fn find_by_email(conn: &mut DbConnection, email: &Email) -> Result<Option<User>, DbError> {
    Ok(credentials(conn, email)?.map(|c| c.user))
}

/// A user and their password hash, for signing in.
pub fn credentials(conn: &mut DbConnection, email: &Email) -> Result<Option<Credentials>, DbError> {
    let row: Option<UserRow> = users::table
        .filter(users::email.eq(email.as_str()))
        .select(UserRow::as_select())
        .get_result(conn)
        .optional()?;
    row.map(|row| {
        let password_hash = row.password_hash.clone();
        Ok(Credentials {
            user: User::try_from(row)?,
            password_hash,
        })
    })
    .transpose()
}

/// Every user, in the order they were created.
pub fn list(conn: &mut DbConnection) -> Result<Vec<User>, DbError> {
    let rows: Vec<UserRow> = users::table
        .order(users::id.asc())
        .select(UserRow::as_select())
        .load(conn)?;
    all(rows)
}

/// Up to `limit` users in id order, after `after_id` when given.
pub fn page(
    conn: &mut DbConnection,
    after_id: Option<i64>,
    limit: i64,
) -> Result<Vec<User>, DbError> {
    let mut query = users::table.select(UserRow::as_select()).into_boxed();
    if let Some(after) = after_id {
        query = query.filter(users::id.gt(after));
    }
    let rows: Vec<UserRow> = query.order(users::id.asc()).limit(limit).load(conn)?;
    all(rows)
}

pub fn count(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(users::table.count().get_result(conn)?)
}

/// The emails of `ids`, by id.
pub fn emails(conn: &mut DbConnection, ids: &[i64]) -> Result<HashMap<i64, String>, DbError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::email))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}
