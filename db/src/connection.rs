//! One connection type over both backends, and the write transaction every change
//! runs in.

use diesel::Connection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;

use crate::error::DbError;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

impl DbConnection {
    pub fn backend_name(&self) -> &'static str {
        match self {
            DbConnection::Postgres(_) => "PostgreSQL",
            DbConnection::Sqlite(_) => "SQLite",
        }
    }
}

/// A connection inside a write transaction. Every function that changes a record takes
/// one, so no change can be made outside a transaction, and a change and its audit
/// entry are stored together or not at all. It reads like the connection it holds.
pub struct Tx<'c>(&'c mut DbConnection);

impl std::ops::Deref for Tx<'_> {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        self.0
    }
}

impl std::ops::DerefMut for Tx<'_> {
    fn deref_mut(&mut self) -> &mut DbConnection {
        self.0
    }
}

/// Runs `f` in one transaction that commits only if `f` succeeds; inside another
/// transaction it is a savepoint.
///
/// On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken up front, so two writers
/// that both read before they write queue (SQLite's `busy_timeout`) instead of one
/// failing with a stale snapshot. PostgreSQL writers lock the rows they check.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut Tx<'_>) -> Result<T, E>,
    E: From<DbError>,
{
    let immediate = match conn {
        DbConnection::Sqlite(sqlite) => !in_transaction(sqlite),
        DbConnection::Postgres(_) => false,
    };
    let begun = match conn {
        DbConnection::Sqlite(sqlite) if immediate => {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")
        }
        _ => <DbConnection as Connection>::TransactionManager::begin_transaction(conn),
    };
    begun.map_err(DbError::from)?;
    match f(&mut Tx(conn)) {
        Ok(value) => {
            <DbConnection as Connection>::TransactionManager::commit_transaction(conn)
                .map_err(DbError::from)?;
            Ok(value)
        }
        Err(error) => {
            <DbConnection as Connection>::TransactionManager::rollback_transaction(conn)
                .map_err(DbError::from)?;
            Err(error)
        }
    }
}

fn in_transaction(sqlite: &mut SqliteConnection) -> bool {
    matches!(
        AnsiTransactionManager::transaction_manager_status_mut(sqlite).transaction_depth(),
        Ok(Some(_))
    )
}
