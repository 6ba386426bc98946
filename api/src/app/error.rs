//! Why a use case did not happen, in the terms of the register: the faces turn each
//! into their own answer (an HTTP status, a line on the terminal, a page).

use beacon_core::cut::Uncovered;
use beacon_core::{Denied, FundingError, ValidationErrors};
use beacon_db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The caller's role (or ownership) does not allow it.
    #[error(transparent)]
    Denied(#[from] Denied),
    /// It clashes with what is there: a taken code, a state that does not allow it.
    #[error("{0}")]
    Conflict(String),
    /// The record changed since the version the caller read.
    #[error("{0}")]
    Stale(String),
    /// Input that breaks a field rule, by field.
    #[error("{0}")]
    Invalid(ValidationErrors),
    /// Money that does not fit an envelope or a balance.
    #[error(transparent)]
    Funding(FundingError),
    /// A cut that would leave allocations without money behind them.
    #[error("{0}")]
    Uncovered(Uncovered),
    /// The database cannot be reached: why, for an operator.
    #[error("{0}")]
    Unavailable(String),
    /// Something Beacon did not expect; the cause is for the log, not the user.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(ValidationErrors::single(field, message))
    }
}

impl From<DbError> for AppError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::NotFound { entity, key } => AppError::NotFound(format!("no {entity} '{key}'")),
            DbError::Duplicate(message) => AppError::Conflict(format!("already exists: {message}")),
            error @ DbError::Connect(_) => AppError::Unavailable(error.to_string()),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<ValidationErrors> for AppError {
    fn from(errors: ValidationErrors) -> Self {
        AppError::Invalid(errors)
    }
}

impl From<FundingError> for AppError {
    fn from(error: FundingError) -> Self {
        AppError::Funding(error)
    }
}

impl From<beacon_core::cut::CutError> for AppError {
    fn from(error: beacon_core::cut::CutError) -> Self {
        use beacon_core::cut::CutError;
        match error {
            CutError::Invalid(errors) => AppError::Invalid(errors),
            CutError::Uncovered(uncovered) => AppError::Uncovered(uncovered),
            CutError::Money(e) => AppError::Funding(FundingError::Money(e)),
        }
    }
}
