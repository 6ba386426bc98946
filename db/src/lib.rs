//! Beacon's persistence: one Diesel schema over SQLite and PostgreSQL.
//!
//! Storage only: plain functions over a connection, one module per kind of record,
//! returning `records` in Beacon's domain types. A function that changes a record takes
//! a `Tx`, a connection inside a write transaction, and appends the change's audit
//! entry there; the rules that decide whether a change may be made are the
//! application's (`beacon_api::app`) and `beacon_core`'s.

pub mod alerts;
pub mod audit;
mod audit_terms;
mod backend;
pub mod backup;
pub mod connection;
pub mod copy;
pub mod days;
pub mod error;
pub mod forces;
pub mod history;
pub mod ledger;
pub mod migrate;
pub mod owners;
pub mod past;
pub mod pool;
pub mod programmes;
pub mod records;
mod rows;
mod schema;
pub mod seed;
pub mod sign_in;
pub mod spend;
pub mod status_reports;
pub mod streams;
pub mod totals;
pub mod url;
pub mod users;

pub use audit::Actor;
pub use connection::{DbConnection, Tx, write_transaction};
pub use error::DbError;
pub use pool::{Pool, PoolOptions, PooledConnection};
pub use url::DatabaseUrl;

/// The current time as stored: UTC, to the microsecond (PostgreSQL's precision), so
/// both backends hold exactly the same value.
pub fn now() -> chrono::NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    chrono::DurationRound::duration_trunc(now, chrono::TimeDelta::microseconds(1)).unwrap_or(now)
}

/// Opens the database at `url`, applies pending migrations, and returns a pool.
pub fn open(url: &DatabaseUrl) -> Result<Pool, DbError> {
    let pool = pool::connect(url, &PoolOptions::for_url(url))?;
    let mut conn = pool.get()?;
    migrate::run_pending(&mut conn)?;
    Ok(pool)
}

/// Asks the database a trivial question: whether it answers at all.
pub fn ping(conn: &mut DbConnection) -> Result<(), DbError> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute("SELECT 1").map_err(DbError::from)
}
