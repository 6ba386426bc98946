//! Programmes: what each one is, who sponsors it, where it is in its life.

use chrono::NaiveDate;

use crate::error::ValidationErrors;
use crate::force::ForceId;
use crate::money::Pence;
use crate::{slug_type, text, vocabulary};

slug_type!(
    /// A programme's short code, used in URLs: `pnd-transformation`.
    ProgrammeCode,
    "programme code",
    "pnd-transformation"
);

slug_type!(
    /// The capability a programme builds, e.g. `biometrics-and-forensics`.
    CapabilityArea,
    "capability area",
    "data-and-intelligence"
);

vocabulary! {
    /// Where a programme is in its life.
    Stage, "stage" {
        /// Proposed, not yet approved to deliver.
        Pipeline => "pipeline",
        /// Approved and building.
        Delivery => "delivery",
        /// In service and still a managed programme.
        Live => "live",
        /// Finished, replaced or stopped.
        Closed => "closed",
    }
}

const NAME_MAX: usize = 200;
const DESCRIPTION_MAX: usize = 4000;
const SPONSOR_MAX: usize = 200;

/// A programme as typed by a person or read from a file: every field still text.
#[derive(Debug, Clone, Default)]
pub struct RawProgramme {
    pub code: String,
    pub name: String,
    pub description: String,
    pub capability_area: String,
    pub sponsor: String,
    pub lead_force: Option<String>,
    pub stage: String,
    pub start_date: Option<NaiveDate>,
    pub planned_end_date: Option<NaiveDate>,
    pub whole_life_cost_pence: Option<i64>,
}

/// A programme's details, every field valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProgramme {
    pub code: ProgrammeCode,
    pub name: String,
    pub description: String,
    pub capability_area: CapabilityArea,
    pub sponsor: String,
    pub lead_force: Option<ForceId>,
    pub stage: Stage,
    pub start_date: Option<NaiveDate>,
    pub planned_end_date: Option<NaiveDate>,
    pub whole_life_cost: Option<Pence>,
}

impl NewProgramme {
    /// Validates every field and reports all that are wrong at once.
    pub fn parse(raw: RawProgramme) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let code = errors.check("code", ProgrammeCode::parse(&raw.code));
        let name = errors.check("name", text::required(&raw.name, NAME_MAX));
        let description = errors.check(
            "description",
            text::optional(&raw.description, DESCRIPTION_MAX),
        );
        let capability_area = errors.check(
            "capability_area",
            CapabilityArea::parse(&raw.capability_area),
        );
        let sponsor = errors.check("sponsor", text::required(&raw.sponsor, SPONSOR_MAX));
        let lead_force = match raw.lead_force.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(id) => errors.check("lead_force", ForceId::parse(id)).map(Some),
        };
        let stage = errors.check("stage", raw.stage.parse::<Stage>());
        check_dates(&mut errors, raw.start_date, raw.planned_end_date);
        let whole_life_cost = match raw.whole_life_cost_pence {
            Some(pence) => errors
                .check("whole_life_cost_pence", Pence::new(pence).non_negative())
                .map(Some),
            None => Some(None),
        };
        let (
            Some(code),
            Some(name),
            Some(description),
            Some(capability_area),
            Some(sponsor),
            Some(lead_force),
            Some(stage),
            Some(whole_life_cost),
        ) = (
            code,
            name,
            description,
            capability_area,
            sponsor,
            lead_force,
            stage,
            whole_life_cost,
        )
        else {
            return Err(errors);
        };
        errors.into_result(|| NewProgramme {
            code,
            name,
            description,
            capability_area,
            sponsor,
            lead_force,
            stage,
            start_date: raw.start_date,
            planned_end_date: raw.planned_end_date,
            whole_life_cost,
        })
    }
}

/// A planned end before the start is a mistake in one of the two.
fn check_dates(errors: &mut ValidationErrors, start: Option<NaiveDate>, end: Option<NaiveDate>) {
    if let (Some(start), Some(end)) = (start, end) {
        if end < start {
            errors.add(
                "planned_end_date",
                format!("the planned end {end} is before the start {start}"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawProgramme {
        RawProgramme {
            code: "pnd-transformation".into(),
            name: "Police National Database transformation programme".into(),
            description: "Move the PND off its legacy Oracle platform.".into(),
            capability_area: "data-and-intelligence".into(),
            sponsor: "Home Office".into(),
            lead_force: None,
            stage: "delivery".into(),
            start_date: NaiveDate::from_ymd_opt(2021, 4, 1),
            planned_end_date: None,
            whole_life_cost_pence: Some(28_264_000_000),
        }
    }

    #[test]
    fn a_complete_programme_is_accepted() {
        let programme = NewProgramme::parse(raw()).unwrap();
        assert_eq!(programme.code.as_str(), "pnd-transformation");
        assert_eq!(programme.whole_life_cost, Some(Pence::new(28_264_000_000)));
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let errors = NewProgramme::parse(RawProgramme {
            code: "PND!".into(),
            name: " ".into(),
            stage: "building".into(),
            planned_end_date: NaiveDate::from_ymd_opt(2020, 1, 1),
            whole_life_cost_pence: Some(-1),
            lead_force: Some("Met Police".into()),
            ..raw()
        })
        .unwrap_err();
        let fields: Vec<&str> = errors.fields().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "code",
                "name",
                "lead_force",
                "stage",
                "planned_end_date",
                "whole_life_cost_pence"
            ]
        );
    }
}
