//! The application layer: every use case of the register, one function each, called
//! alike by the REST handlers, the command line, the alert worker and the web pages.
//!
//! A use case takes a database connection, the caller, and input already parsed into
//! `beacon_core` types. It checks the caller may do it (`beacon_core::permission`),
//! applies the domain rules (`beacon_core`), and reads or writes through `beacon_db`,
//! each change in one transaction with its audit entry. It knows nothing of HTTP, the
//! terminal or templates: faces parse and render, this layer decides.

pub mod alerts;
pub mod audit;
mod error;
pub mod funding;
pub mod history;
pub mod operations;
pub mod owners_cache;
pub mod portfolio;
pub mod programmes;
pub mod register;
pub mod reports;
pub mod seed;
pub mod sign_in;
pub mod summary;
pub mod users;

use beacon_core::{Action, FinancialYear, Role};
use beacon_db::Actor;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Utc};

pub use error::AppError;

/// Who is asking: a signed-in user, or Beacon itself acting for an operator at the
/// command line, who may do anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub actor: Actor,
    pub role: Role,
}

impl Caller {
    pub fn user(id: i64, email: &str, role: Role) -> Self {
        Caller {
            actor: Actor::user(id, email),
            role,
        }
    }

    /// A Beacon command, e.g. `beacon seed`: an administrator at the server.
    pub fn system(label: &str) -> Self {
        Caller {
            actor: Actor::system(label),
            role: Role::Admin,
        }
    }

    pub fn user_id(&self) -> Option<i64> {
        self.actor.user_id
    }

    /// Allows `action` for the caller's role, or refuses it naming the roles it needs.
    pub fn may(&self, action: Action) -> Result<(), AppError> {
        Ok(self.role.check(action)?)
    }
}

/// A day to answer for: the state at its end (UTC). Today means the present state.
/// Money counts by the day it took effect, as recorded now, or as recorded by the end
/// of an earlier day ("known as of") when one is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsOf {
    pub day: NaiveDate,
    /// The first moment after the day: what was recorded before it counts.
    pub end: NaiveDateTime,
    /// The day the money is as recorded by the end of, if not now.
    pub known_on: Option<NaiveDate>,
}

impl AsOf {
    pub fn today() -> Self {
        Self::of(Utc::now().date_naive())
    }

    pub fn of(day: NaiveDate) -> Self {
        AsOf {
            day,
            end: end_of(day),
            known_on: None,
        }
    }

    /// The same day, with money as recorded by the end of `known` rather than now.
    pub fn known_on(self, known: NaiveDate) -> Self {
        AsOf {
            known_on: Some(known),
            ..self
        }
    }

    /// Which money entries count: those taking effect by the day, known then.
    pub fn when(&self) -> beacon_db::days::When {
        beacon_db::days::When {
            day: self.day,
            known_before: self.known_on.map(end_of),
        }
    }

    /// A day someone asked for: from the first day Beacon records to today, since a
    /// future day has no answer yet.
    pub fn past(day: NaiveDate) -> Result<Self, String> {
        Self::check_past(day).map(Self::of)
    }

    /// `day` if it is one Beacon can answer for, else what to give instead.
    pub fn check_past(day: NaiveDate) -> Result<NaiveDate, String> {
        let today = Utc::now().date_naive();
        let (first, _) = FinancialYear::recorded_days();
        if day > today {
            return Err(format!(
                "{day} is in the future; use a date from {first} to today, {today}"
            ));
        }
        if day < first {
            return Err(format!(
                "{day} is before the dates Beacon records; use a date from {first} to today, {today}"
            ));
        }
        Ok(day)
    }

    /// The financial year the day falls in.
    pub fn year(&self) -> Result<FinancialYear, AppError> {
        FinancialYear::containing(self.day).map_err(|e| AppError::Internal(e.to_string()))
    }
}

/// The first moment after `day`.
fn end_of(day: NaiveDate) -> NaiveDateTime {
    day.succ_opt().unwrap_or(day).and_time(NaiveTime::MIN)
}

/// The financial year today falls in.
pub fn current_year() -> Result<FinancialYear, AppError> {
    AsOf::today().year()
}

/// Forces, for choosing a programme's lead force.
pub mod forces {
    use beacon_core::Force;
    use beacon_db::DbConnection;

    use super::AppError;

    pub fn list(conn: &mut DbConnection) -> Result<Vec<Force>, AppError> {
        Ok(beacon_db::forces::list(conn)?)
    }

    pub fn get(conn: &mut DbConnection, id: &str) -> Result<Force, AppError> {
        Ok(beacon_db::forces::get(conn, id)?)
    }
}

/// Whether the database answers: the server is ready for requests.
pub fn ready(conn: &mut beacon_db::DbConnection) -> Result<(), AppError> {
    beacon_db::ping(conn).map_err(|_| AppError::Unavailable("the database is not answering".into()))
}
