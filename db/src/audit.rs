//! The audit trail: every change appends who did what to which record, before and after.

use diesel::prelude::*;
use serde::Serialize;

use crate::connection::DbConnection;
use crate::error::DbError;
use crate::models::AuditRow;
use crate::query::LimitLiteral;
use crate::schema::audit_log;

/// Who made a change: a signed-in user, or Beacon itself acting for an operator
/// (the seed loader, a command run on the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub label: String,
}

impl Actor {
    pub fn user(id: i64, email: &str) -> Self {
        Actor {
            user_id: Some(id),
            label: email.to_string(),
        }
    }

    /// A change made by a Beacon command rather than a person signed in, e.g. `beacon seed`.
    pub fn system(label: &str) -> Self {
        Actor {
            user_id: None,
            label: label.to_string(),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = audit_log, treat_none_as_default_value = false)]
struct NewAuditRow<'a> {
    at: chrono::NaiveDateTime,
    actor_id: Option<i64>,
    actor: &'a str,
    action: &'a str,
    entity: &'a str,
    entity_id: &'a str,
    before: Option<String>,
    after: Option<String>,
}

/// Appends one audit entry. Call it inside the write transaction of the change it
/// describes. `before` is `None` for a creation, `after` for a removal.
pub fn record<B: Serialize, A: Serialize>(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_id: &str,
    before: Option<&B>,
    after: Option<&A>,
) -> Result<(), DbError> {
    let row = NewAuditRow {
        at: crate::now(),
        actor_id: actor.user_id,
        actor: &actor.label,
        action,
        entity,
        entity_id,
        before: before.map(serde_json::to_string).transpose()?,
        after: after.map(serde_json::to_string).transpose()?,
    };
    diesel::insert_into(audit_log::table)
        .values(&row)
        .execute(conn)?;
    Ok(())
}

/// The entries about one record, oldest first.
pub fn for_entity(
    conn: &mut DbConnection,
    entity: &str,
    entity_id: &str,
) -> Result<Vec<AuditRow>, DbError> {
    Ok(audit_log::table
        .filter(audit_log::entity.eq(entity))
        .filter(audit_log::entity_id.eq(entity_id))
        .order(audit_log::id.asc())
        .select(AuditRow::as_select())
        .load(conn)?)
}

/// The most recent `limit` entries, newest first.
pub fn latest(conn: &mut DbConnection, limit: i64) -> Result<Vec<AuditRow>, DbError> {
    Ok(audit_log::table
        .order(audit_log::id.desc())
        .select(AuditRow::as_select())
        .limit_literal(limit)
        .load(conn)?)
}

pub fn count(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(audit_log::table.count().get_result(conn)?)
}
