//! What can go wrong in persistence: a record that is not there or is already there,
//! or the database itself (an operator's problem). Rules and permissions are the
//! application's, not this crate's.

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The thing asked for does not exist.
    #[error("no {entity} '{key}'")]
    NotFound { entity: &'static str, key: String },
    /// A unique code or email is already taken.
    #[error("already exists: {0}")]
    Duplicate(String),
    #[error("{0}")]
    BadUrl(String),
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("cannot run the database migrations: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Query(diesel::result::Error),
    /// A stored value that no longer parses: the database was changed outside Beacon.
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
}

impl From<diesel::result::Error> for DbError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                DbError::Duplicate(info.message().to_string())
            }
            other => DbError::Query(other),
        }
    }
}

impl From<r2d2::Error> for DbError {
    fn from(error: r2d2::Error) -> Self {
        DbError::Connect(error.to_string())
    }
}

impl From<serde_json::Error> for DbError {
    fn from(error: serde_json::Error) -> Self {
        DbError::Corrupt(error.to_string())
    }
}

impl DbError {
    pub fn not_found(entity: &'static str, key: impl ToString) -> Self {
        DbError::NotFound {
            entity,
            key: key.to_string(),
        }
    }
}
