//! Beacon's persistence: one Diesel schema over SQLite and PostgreSQL.
//!
//! Repositories are plain functions over `&mut DbConnection`, one module per record
//! type. Every function that changes state runs in one write transaction together with
//! its audit entry, so a change and its audit entry are stored together or not at all.

pub mod alerts;
pub mod audit;
pub mod connection;
pub mod days;
pub mod error;
pub mod forces;
pub mod funding;
pub mod history;
pub mod migrate;
pub mod models;
pub mod pool;
pub mod portfolio;
pub mod programmes;
pub mod schema;
pub mod seed;
pub mod spend;
pub mod status_reports;
pub mod totals;
pub mod users;

pub use audit::Actor;
pub use connection::{DatabaseUrl, DbConnection, write_transaction};
pub use error::DbError;
pub use pool::{Pool, PoolOptions, PooledConnection};

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
