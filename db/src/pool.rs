//! The connection pool: r2d2 over `DbConnection`, with a manager that chooses the
//! backend from the URL and prepares each SQLite connection.

use std::time::Duration;

use diesel::Connection;
use diesel::connection::{SimpleConnection, TransactionManager};

use crate::connection::DbConnection;
use crate::error::DbError;
use crate::url::DatabaseUrl;

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConnection = r2d2::PooledConnection<Manager>;

#[derive(Debug)]
pub struct Manager {
    url: DatabaseUrl,
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = diesel::ConnectionError;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        self.url.establish()
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking()
            || <DbConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

/// How the pool is sized and checked; the defaults suit the embedded SQLite file.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    pub connection_timeout: Duration,
}

impl PoolOptions {
    /// SQLite has one writer, so a large pool adds waiting, not throughput; PostgreSQL
    /// gains from a few connections per core.
    pub fn for_url(url: &DatabaseUrl) -> Self {
        let max_size = match url {
            DatabaseUrl::Postgres(_) => 8,
            DatabaseUrl::Sqlite(_) => 4,
        };
        PoolOptions {
            max_size,
            connection_timeout: Duration::from_secs(10),
        }
    }

    /// For work beside the requests (the alert worker, the audit sealer): a pool of its
    /// own, so that a request never waits for a connection the background work holds.
    pub fn background() -> Self {
        PoolOptions {
            max_size: 2,
            connection_timeout: Duration::from_secs(10),
        }
    }
}

/// The pool changes go through. SQLite has one writer: writers that each hold a
/// connection of their own wait for its lock in SQLite's busy handler, which sleeps in
/// steps of milliseconds, so there they queue for one connection instead (which also
/// keeps that connection's cache of the file warm from one write to the next). It holds
/// up the status report's figure in bench/README.md. PostgreSQL's writers share `reads`.
pub fn writes(url: &DatabaseUrl, reads: &Pool) -> Result<Pool, DbError> {
    match url {
        DatabaseUrl::Sqlite(_) => connect(
            url,
            &PoolOptions {
                max_size: 1,
                connection_timeout: Duration::from_secs(10),
            },
        ),
        DatabaseUrl::Postgres(_) => Ok(reads.clone()),
    }
}

/// Builds a pool and checks that the database answers, so that a wrong URL fails here
/// with one clear message rather than on the first request.
pub fn connect(url: &DatabaseUrl, options: &PoolOptions) -> Result<Pool, DbError> {
    // Fail fast on an unreachable database: open one connection before building the
    // pool, so the error is the database's own rather than r2d2's timeout.
    url.establish().map_err(|e| cannot_connect(url, &e))?;
    let manager = Manager { url: url.clone() };
    r2d2::Pool::builder()
        .max_size(options.max_size)
        .connection_timeout(options.connection_timeout)
        .test_on_check_out(false)
        .build(manager)
        .map_err(|e| DbError::Connect(format!("{} at {}: {e}", url.backend_name(), url.redacted())))
}

/// The one-line message for a database that cannot be reached, without its password.
fn cannot_connect(url: &DatabaseUrl, error: &diesel::ConnectionError) -> DbError {
    DbError::Connect(format!(
        "{} at {}: {}",
        url.backend_name(),
        url.redacted(),
        first_line(&error.to_string())
    ))
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text).trim()
}
