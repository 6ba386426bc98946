//! Who may do what: each role's permissions (DESIGN.md's table of roles), and the one
//! rule that depends on the record as well as the role, a lead reporting only on the
//! programmes they own.

use crate::programme::ProgrammeCode;
use crate::user::Role;

/// Everything a signed-in user may be refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    RegisterProgramme,
    ChangeProgramme,
    ManageOwners,
    ReportStatus,
    ManageFunding,
    ReadAuditTrail,
    ReadAlerts,
    RetryAlerts,
    ManageUsers,
    ListAnotherUsersProgrammes,
    /// Who an account is: its email, role and standing, never its secrets.
    ReadUsers,
}

impl Action {
    /// The roles allowed to do it.
    pub const fn roles(self) -> &'static [Role] {
        match self {
            Action::RegisterProgramme
            | Action::ChangeProgramme
            | Action::ManageOwners
            | Action::RetryAlerts
            | Action::ManageUsers => &[Role::Admin],
            Action::ReportStatus => &[Role::Admin, Role::Lead],
            Action::ManageFunding => &[Role::Finance, Role::Admin],
            Action::ReadAuditTrail
            | Action::ReadAlerts
            | Action::ListAnotherUsersProgrammes
            | Action::ReadUsers => &[Role::Auditor, Role::Admin],
        }
    }

    /// What the action is, as a refusal names it.
    pub const fn describe(self) -> &'static str {
        match self {
            Action::RegisterProgramme => "registering programmes",
            Action::ChangeProgramme => "changing programmes",
            Action::ManageOwners => "changing owners",
            Action::ReportStatus => "reporting status",
            Action::ManageFunding => "recording funding and spend",
            Action::ReadAuditTrail => "reading the audit trail",
            Action::ReadAlerts => "reading alerts",
            Action::RetryAlerts => "retrying alerts",
            Action::ManageUsers => "managing users",
            Action::ListAnotherUsersProgrammes => "listing another user's programmes",
            Action::ReadUsers => "reading users",
        }
    }
}

/// A refusal, saying what would have been allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("{} needs the role {}; you are {role}", .action.describe(), names(.action.roles()))]
    Role { action: Action, role: Role },
    #[error("only the programme's owners may report on '{programme}', and you are not one")]
    NotAnOwner { programme: ProgrammeCode },
}

fn names(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|role| role.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

impl Role {
    pub fn may(self, action: Action) -> bool {
        action.roles().contains(&self)
    }

    /// Allows `action` for this role, or says which roles it needs.
    pub fn check(self, action: Action) -> Result<(), Denied> {
        if self.may(action) {
            Ok(())
        } else {
            Err(Denied::Role { action, role: self })
        }
    }
}

/// A lead reports only on programmes they own; an admin on any.
pub fn check_report(role: Role, owns: bool, programme: &ProgrammeCode) -> Result<(), Denied> {
    role.check(Action::ReportStatus)?;
    if role == Role::Lead && !owns {
        return Err(Denied::NotAnOwner {
            programme: programme.clone(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_may_do_what_the_table_says() {
        use Action::*;
        let all = [
            RegisterProgramme,
            ChangeProgramme,
            ManageOwners,
            ReportStatus,
            ManageFunding,
            ReadAuditTrail,
            ReadAlerts,
            RetryAlerts,
            ManageUsers,
            ReadUsers,
        ];
        assert!(
            all.iter().all(|a| Role::Admin.may(*a)),
            "admin may do everything"
        );
        assert!(
            all.iter().all(|a| !Role::Viewer.may(*a)),
            "viewers only read the portfolio"
        );
        let allowed = |role: Role| {
            all.iter()
                .filter(|a| role.may(**a))
                .copied()
                .collect::<Vec<_>>()
        };
        assert_eq!(allowed(Role::Finance), [ManageFunding]);
        assert_eq!(allowed(Role::Lead), [ReportStatus]);
        assert_eq!(
            allowed(Role::Auditor),
            [ReadAuditTrail, ReadAlerts, ReadUsers]
        );
    }

    #[test]
    fn a_refusal_names_the_roles_needed() {
        let denied = Role::Viewer.check(Action::ManageFunding).unwrap_err();
        assert_eq!(
            denied.to_string(),
            "recording funding and spend needs the role finance or admin; you are viewer"
        );
    }

    #[test]
    fn leads_report_only_on_what_they_own() {
        let pnd = ProgrammeCode::parse("pnd-transformation").unwrap();
        assert!(check_report(Role::Lead, true, &pnd).is_ok());
        assert!(check_report(Role::Admin, false, &pnd).is_ok());
        assert_eq!(
            check_report(Role::Lead, false, &pnd)
                .unwrap_err()
                .to_string(),
            "only the programme's owners may report on 'pnd-transformation', and you are not one"
        );
        assert!(matches!(
            check_report(Role::Finance, true, &pnd),
            Err(Denied::Role { .. })
        ));
    }
}
