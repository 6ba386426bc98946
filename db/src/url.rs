//! Which database a URL names, chosen from the scheme, never by trying each in turn.

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError};

use crate::connection::DbConnection;
use crate::error::DbError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    /// A file path (or `:memory:`) for SQLite.
    Sqlite(String),
}

impl DatabaseUrl {
    /// `postgres://…` or `postgresql://…` is PostgreSQL; `sqlite://path` or a bare path
    /// is SQLite; any other scheme is refused with a message naming the two.
    pub fn parse(url: &str) -> Result<Self, DbError> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(url.to_string()))
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            Ok(DatabaseUrl::Sqlite(path.to_string()))
        } else if url.is_empty() || url.contains("://") {
            Err(DbError::BadUrl(format!(
                "'{}' is not a database URL Beacon understands; use postgres://user@host:port/database or a SQLite file path such as beacon.db",
                redact(url)
            )))
        } else {
            Ok(DatabaseUrl::Sqlite(url.to_string()))
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseUrl::Postgres(_) => "PostgreSQL",
            DatabaseUrl::Sqlite(_) => "SQLite",
        }
    }

    /// The URL without any password, for messages and logs.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Postgres(url) => redact(url),
            DatabaseUrl::Sqlite(path) => path.clone(),
        }
    }

    pub(crate) fn establish(&self) -> Result<DbConnection, ConnectionError> {
        match self {
            DatabaseUrl::Postgres(url) => PgConnection::establish(url).map(DbConnection::Postgres),
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// Set on every SQLite connection. busy_timeout first, so that switching to WAL waits
/// for another connection instead of failing; WAL lets readers work during a write;
/// NORMAL is durable across application crashes in WAL mode and much faster than FULL;
/// reading the file through a memory map spares each pooled connection copying pages
/// into a cache of its own; and a longer log before SQLite copies it back into the file
/// means fewer of the commits that do that copying (and wait for the disk) themselves.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 10000;
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA foreign_keys = ON;
PRAGMA mmap_size = 268435456;
PRAGMA wal_autocheckpoint = 10000;";

/// Hides the password in `scheme://user:password@host`, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_picks_the_backend() {
        assert!(matches!(
            DatabaseUrl::parse("postgres://u@h/db"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert!(matches!(
            DatabaseUrl::parse("postgresql://u@h/db"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/b.db").unwrap(),
            DatabaseUrl::Sqlite("data/b.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("beacon.db").unwrap(),
            DatabaseUrl::Sqlite("beacon.db".into())
        );
        assert!(DatabaseUrl::parse("mysql://u@h/db").is_err());
        assert!(DatabaseUrl::parse("").is_err());
    }

    #[test]
    fn passwords_never_reach_messages() {
        let url = DatabaseUrl::parse("postgres://beacon:s3cret@db:5432/beacon").unwrap();
        assert_eq!(url.redacted(), "postgres://beacon:***@db:5432/beacon");
        let error = DatabaseUrl::parse("mysql://root:s3cret@db/x").unwrap_err();
        assert!(!error.to_string().contains("s3cret"));
    }
}
