//! Sign-in attempts: recorded before each password check, so that concurrent requests
//! and every server on the database count the same attempts. Which attempts may go
//! ahead is `beacon_core::sign_in`'s rule.

use beacon_core::audit_trail::{AuditAction, AuditEntity};
use beacon_core::sign_in::{ACCOUNT_WINDOW, Earlier};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::connection::Tx;
use crate::error::DbError;
use crate::schema::sign_in_attempts as attempts;

/// The account's attempts in the last hour, seen from `address`, once every other
/// writer's attempt at the account has committed: after this, until the transaction
/// ends, nobody else can record one.
pub fn earlier(
    tx: &mut Tx<'_>,
    account: &str,
    address: &str,
    now: NaiveDateTime,
) -> Result<Vec<Earlier>, DbError> {
    crate::backend::lock_sign_in(tx, account)?;
    let since = now - window();
    let rows: Vec<(String, NaiveDateTime, Option<bool>)> = attempts::table
        .filter(attempts::account.eq(account))
        .filter(attempts::started_at.gt(since))
        .select((attempts::address, attempts::started_at, attempts::succeeded))
        .load(&mut **tx)?;
    Ok(rows
        .into_iter()
        .map(|(from, started_at, succeeded)| Earlier {
            same_address: from == address,
            age: (now - started_at).to_std().unwrap_or_default(),
            failed: succeeded != Some(true),
        })
        .collect())
}

/// Records an attempt whose password check begins now; counted as a failure until
/// [`finish`] says otherwise. Attempts older than the throttle's longest window go.
pub fn start(
    tx: &mut Tx<'_>,
    account: &str,
    address: &str,
    now: NaiveDateTime,
) -> Result<i64, DbError> {
    diesel::delete(attempts::table.filter(attempts::started_at.lt(now - window())))
        .execute(&mut **tx)?;
    Ok(diesel::insert_into(attempts::table)
        .values((
            attempts::account.eq(account),
            attempts::address.eq(address),
            attempts::started_at.eq(now),
        ))
        .returning(attempts::id)
        .get_result(&mut **tx)?)
}

/// The outcome of attempt `id`. A success forgets the address's failures at the account.
pub fn finish(tx: &mut Tx<'_>, id: i64, succeeded: bool) -> Result<(), DbError> {
    let attempt: Option<(String, String)> = diesel::update(attempts::table.find(id))
        .set(attempts::succeeded.eq(succeeded))
        .returning((attempts::account, attempts::address))
        .get_result(&mut **tx)
        .optional()?;
    if let (true, Some((account, address))) = (succeeded, attempt) {
        diesel::delete(
            attempts::table
                .filter(attempts::account.eq(account))
                .filter(attempts::address.eq(address))
                .filter(attempts::id.ne(id)),
        )
        .execute(&mut **tx)?;
    }
    Ok(())
}

/// Forgets attempt `id`, whose password could not be checked.
pub fn forget(tx: &mut Tx<'_>, id: i64) -> Result<(), DbError> {
    diesel::delete(attempts::table.find(id)).execute(&mut **tx)?;
    Ok(())
}

/// Forgets every failed attempt at `account` (an admin lifting the throttle for user
/// `user_id`), and audits it; returns how many were forgotten.
pub fn lift(tx: &mut Tx<'_>, actor: &Actor, user_id: i64, account: &str) -> Result<usize, DbError> {
    let failed = attempts::succeeded
        .is_null()
        .or(attempts::succeeded.eq(false));
    let forgotten = diesel::delete(
        attempts::table
            .filter(attempts::account.eq(account))
            .filter(failed),
    )
    .execute(&mut **tx)?;
    audit::record(
        tx,
        actor,
        AuditAction::LiftSignInThrottle,
        AuditEntity::User,
        &user_id.to_string(),
        None::<&()>,
        Some(&serde_json::json!({ "attempts_forgotten": forgotten })),
    )?;
    Ok(forgotten)
}

fn window() -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(ACCOUNT_WINDOW).unwrap_or(chrono::TimeDelta::hours(1))
}
