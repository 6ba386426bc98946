//! User accounts. Passwords arrive here already hashed; this module never sees one.

use beacon_core::{Email, Role};
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::connection::{DbConnection, write_transaction};
use crate::error::DbError;
use crate::models::UserRow;
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

/// Creates an active user; an email already in use is a conflict.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    email: &Email,
    role: Role,
    password_hash: &str,
) -> Result<UserRow, DbError> {
    write_transaction(conn, |conn| {
        if find_by_email(conn, email)?.is_some() {
            return Err(DbError::Conflict(format!(
                "a user with email {email} already exists"
            )));
        }
        let now = crate::now();
        let user: UserRow = diesel::insert_into(users::table)
            .values(&NewUserRow {
                email: email.as_str(),
                password_hash,
                role: role.as_str(),
                active: true,
                created_at: now,
                updated_at: now,
            })
            .returning(users::all_columns)
            .get_result(conn)?;
        audit::record(
            conn,
            actor,
            "create",
            "user",
            &user.id.to_string(),
            None::<&UserRow>,
            Some(&user),
        )?;
        Ok(user)
    })
}

/// What an administrator may change about a user.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub password_hash: Option<String>,
}

pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
    change: &UserChange,
) -> Result<UserRow, DbError> {
    write_transaction(conn, |conn| {
        let before = get(conn, id)?;
        let role = change
            .role
            .map_or(before.role.clone(), |r| r.as_str().to_string());
        let active = change.active.unwrap_or(before.active);
        let password_hash = change
            .password_hash
            .clone()
            .unwrap_or_else(|| before.password_hash.clone());
        let after: UserRow = diesel::update(users::table.find(id))
            .set((
                users::role.eq(role),
                users::active.eq(active),
                users::password_hash.eq(password_hash),
                users::updated_at.eq(crate::now()),
            ))
            .returning(users::all_columns)
            .get_result(conn)?;
        // The hash is never in the trail; a reset shows as its own action.
        let action = if change.password_hash.is_some() {
            "reset_password"
        } else {
            "update"
        };
        audit::record(
            conn,
            actor,
            action,
            "user",
            &id.to_string(),
            Some(&before),
            Some(&after),
        )?;
        Ok(after)
    })
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<UserRow>, DbError> {
    Ok(users::table
        .find(id)
        .select(UserRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn get(conn: &mut DbConnection, id: i64) -> Result<UserRow, DbError> {
    find(conn, id)?.ok_or_else(|| DbError::not_found("user", id))
}

pub fn find_by_email(conn: &mut DbConnection, email: &Email) -> Result<Option<UserRow>, DbError> {
    Ok(users::table
        .filter(users::email.eq(email.as_str()))
        .select(UserRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Every user, in the order they were created.
pub fn list(conn: &mut DbConnection) -> Result<Vec<UserRow>, DbError> {
    Ok(users::table
        .order(users::id.asc())
        .select(UserRow::as_select())
        .load(conn)?)
}

/// One page of users in id order, after `after_id` when given, with one extra row to
/// tell whether another page follows.
pub fn page(
    conn: &mut DbConnection,
    after_id: Option<i64>,
    limit: i64,
) -> Result<Vec<UserRow>, DbError> {
    let mut query = users::table.select(UserRow::as_select()).into_boxed();
    if let Some(after) = after_id {
        query = query.filter(users::id.gt(after));
    }
    Ok(query.order(users::id.asc()).limit(limit + 1).load(conn)?)
}
