//! What can go wrong in persistence, sorted by whose fault it is: input that breaks a
//! rule (the caller can fix it) or the database itself (an operator must).

use beacon_core::{FundingError, ValidationErrors};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The thing asked for does not exist.
    #[error("no {entity} '{key}'")]
    NotFound { entity: &'static str, key: String },
    /// A unique code or email is already taken, or the change clashes with others.
    #[error("{0}")]
    Conflict(String),
    /// The caller may not make this change (a lead reporting on a programme they do
    /// not own).
    #[error("{0}")]
    Forbidden(String),
    /// The record changed since the version the caller read.
    #[error("{0}")]
    Stale(String),
    /// Input that breaks a field rule.
    #[error("{0}")]
    Invalid(ValidationErrors),
    /// A cut that would leave allocations without money behind them.
    #[error(
        "{} for {} is less than the {} allocated from '{}': withdraw {} more, or name the allocations to withdraw",
        .0.envelope, .0.year, .0.allocated, .0.stream, .0.excess()
    )]
    Uncovered(crate::funding::Uncovered),
    /// Money that does not fit an envelope or a balance.
    #[error(transparent)]
    Funding(#[from] FundingError),
    #[error("{0}")]
    BadUrl(String),
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("cannot run the database migrations: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Query(diesel::result::Error),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
}

impl From<diesel::result::Error> for DbError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                DbError::Conflict(format!("already exists: {}", info.message()))
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

impl From<ValidationErrors> for DbError {
    fn from(errors: ValidationErrors) -> Self {
        DbError::Invalid(errors)
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

    /// A stored word that no longer parses: the database was changed outside Beacon.
    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        DbError::Corrupt(what.to_string())
    }
}
