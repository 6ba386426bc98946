//! Signing in: the throttle around each password check. The check itself is the
//! caller's (it is slow and runs off the request's thread); this module decides
//! whether it may run, and records how it went.

use std::time::Duration;

use beacon_core::Action;
use beacon_core::sign_in::{Attempts, Decision};
use beacon_db::{DbConnection, sign_in, users, write_transaction};

use super::{AppError, Caller};

/// A password check the throttle let through; its outcome must be recorded with
/// [`finish`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt(i64);

/// Records an attempt at `account` from `address` before its password is checked, or
/// says how long to wait. Counting and recording happen in one transaction that holds
/// every other attempt at the account back, so concurrent guesses are counted one by
/// one, on every server of the register.
pub fn begin(
    conn: &mut DbConnection,
    account: &str,
    address: &str,
) -> Result<Result<Attempt, Duration>, AppError> {
    write_transaction(conn, |tx| {
        let now = beacon_db::now();
        let earlier = sign_in::earlier(tx, account, address, now)?;
        Ok(match Attempts::tally(&earlier).decide() {
            Decision::Check => Ok(Attempt(sign_in::start(tx, account, address, now)?)),
            Decision::Wait(wait) => Err(wait),
        })
    })
}

/// How the password check went: `None` when it could not be made (the server was busy),
/// which then counts neither way.
pub fn finish(
    conn: &mut DbConnection,
    attempt: Attempt,
    succeeded: Option<bool>,
) -> Result<(), AppError> {
    write_transaction(conn, |tx| match succeeded {
        Some(succeeded) => Ok(sign_in::finish(tx, attempt.0, succeeded)?),
        None => Ok(sign_in::forget(tx, attempt.0)?),
    })
}

/// An admin lets user `id` sign in again at once from anywhere: their failed attempts
/// are forgotten. Returns how many were.
pub fn lift(conn: &mut DbConnection, who: &Caller, id: i64) -> Result<usize, AppError> {
    who.may(Action::ManageUsers)?;
    write_transaction(conn, |tx| {
        let user = users::get(tx, id)?;
        Ok(sign_in::lift(tx, &who.actor, id, user.email.as_str())?)
    })
}
