//! Registering programmes, changing their details, and their owners.

use beacon_core::{Action, NewProgramme, Pence, RawProgramme};
use beacon_db::records::Programme;
use beacon_db::{DbConnection, Tx, owners, programmes, write_transaction};
use chrono::NaiveDate;

use super::{AppError, Caller};

/// A lead force that does not exist is a field error the caller can fix.
fn check_lead_force(tx: &mut Tx<'_>, programme: &NewProgramme) -> Result<(), AppError> {
    if let Some(force) = &programme.lead_force {
        if beacon_db::forces::find(tx, force.as_str())?.is_none() {
            return Err(AppError::field(
                "lead_force",
                format!("no force has the id '{force}'; see the list of forces"),
            ));
        }
    }
    Ok(())
}

fn code_taken(code: &str) -> AppError {
    AppError::Conflict(format!("a programme with code '{code}' already exists"))
}

/// Adds a programme to the register.
pub fn register(
    conn: &mut DbConnection,
    who: &Caller,
    programme: &NewProgramme,
) -> Result<Programme, AppError> {
    who.may(Action::RegisterProgramme)?;
    write_transaction(conn, |tx| {
        if programmes::find_by_code(tx, programme.code.as_str())?.is_some() {
            return Err(code_taken(programme.code.as_str()));
        }
        check_lead_force(tx, programme)?;
        Ok(programmes::insert(tx, &who.actor, programme)?)
    })
}

/// Fields to change; `None` leaves a field as it is, and `Some(None)` clears an
/// optional one.
#[derive(Debug, Clone, Default)]
pub struct ProgrammePatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub capability_area: Option<String>,
    pub sponsor: Option<String>,
    pub lead_force: Option<Option<String>>,
    pub stage: Option<String>,
    pub start_date: Option<Option<NaiveDate>>,
    pub planned_end_date: Option<Option<NaiveDate>>,
    pub whole_life_cost_pence: Option<Option<i64>>,
}

impl ProgrammePatch {
    /// The programme's details with the patch applied, every field checked again.
    fn apply(self, current: &Programme) -> Result<NewProgramme, AppError> {
        Ok(NewProgramme::parse(RawProgramme {
            code: current.code.to_string(),
            name: self.name.unwrap_or_else(|| current.name.clone()),
            description: self
                .description
                .unwrap_or_else(|| current.description.clone()),
            capability_area: self
                .capability_area
                .unwrap_or_else(|| current.capability_area.to_string()),
            sponsor: self.sponsor.unwrap_or_else(|| current.sponsor.clone()),
            lead_force: self
                .lead_force
                .unwrap_or_else(|| current.lead_force.as_ref().map(ToString::to_string)),
            stage: self.stage.unwrap_or_else(|| current.stage.to_string()),
            start_date: self.start_date.unwrap_or(current.start_date),
            planned_end_date: self.planned_end_date.unwrap_or(current.planned_end_date),
            whole_life_cost_pence: self
                .whole_life_cost_pence
                .unwrap_or(current.whole_life_cost.map(Pence::get)),
        })?)
    }
}

/// Changes a programme's details. With `expected_version`, refuses a change made
/// against an out-of-date copy: someone else changed it since it was read.
pub fn update(
    conn: &mut DbConnection,
    who: &Caller,
    code: &str,
    patch: ProgrammePatch,
    expected_version: Option<i64>,
) -> Result<Programme, AppError> {
    who.may(Action::ChangeProgramme)?;
    write_transaction(conn, |tx| {
        let current = programmes::lock(tx, code)?;
        if let Some(expected) = expected_version {
            if expected != current.version {
                return Err(AppError::Stale(format!(
                    "programme '{code}' has changed since version {expected} was read (it is now version {})",
                    current.version
                )));
            }
        }
        let programme = patch.apply(&current)?;
        check_lead_force(tx, &programme)?;
        Ok(programmes::update(tx, &who.actor, current.id, &programme)?)
    })
}

/// Makes a user an owner of a programme; owners report on it and hear of its alerts.
/// Returns false if they already were one.
pub fn add_owner(
    conn: &mut DbConnection,
    who: &Caller,
    code: &str,
    user_id: i64,
) -> Result<bool, AppError> {
    who.may(Action::ManageOwners)?;
    write_transaction(conn, |tx| {
        beacon_db::users::get(tx, user_id)?;
        let programme = programmes::lock(tx, code)?;
        Ok(owners::add(tx, &who.actor, &programme, user_id)?)
    })
}

/// Stops a user owning a programme.
pub fn remove_owner(
    conn: &mut DbConnection,
    who: &Caller,
    code: &str,
    user_id: i64,
) -> Result<(), AppError> {
    who.may(Action::ManageOwners)?;
    write_transaction(conn, |tx| {
        let programme = programmes::lock(tx, code)?;
        Ok(owners::remove(tx, &who.actor, &programme, user_id)?)
    })
}
