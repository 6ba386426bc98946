//! People who sign in to Beacon and what they may do.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::vocabulary;

vocabulary! {
    /// What a user may do; see DESIGN.md's table of roles.
    Role, "role" {
        Admin => "admin",
        Finance => "finance",
        Lead => "lead",
        Auditor => "auditor",
        Viewer => "viewer",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an email address; write it like name@force.police.uk")]
pub struct EmailError(String);

/// An email address, trimmed and lowercased so that one person has one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(value: &str) -> Result<Self, EmailError> {
        let email = value.trim().to_lowercase();
        let error = || EmailError(value.to_string());
        let (local, domain) = email.split_once('@').ok_or_else(error)?;
        let plausible = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if plausible {
            Ok(Email(email))
        } else {
            Err(error())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = EmailError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Email::parse(&value)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> Self {
        email.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The shortest password Beacon accepts (NCSC and OWASP favour length over rules).
pub const MIN_PASSWORD_CHARS: usize = 12;
const MAX_PASSWORD_CHARS: usize = 256;

/// Passwords too common to keep anyone out (see the file's own notes).
static COMMON_PASSWORDS: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
    std::sync::LazyLock::new(|| {
        include_str!("../data/common-passwords.txt")
            .lines()
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect()
    });

/// Checks a new password: long enough, not one character over and over or only
/// spaces, and not a common password, nor one with digits or symbols added at its end
/// (`Password1234!`). Says what to fix.
pub fn validate_password(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    let mut chars = password.chars();
    let first = chars.next();
    if length < MIN_PASSWORD_CHARS {
        Err(format!(
            "the password must have at least {MIN_PASSWORD_CHARS} characters (it has {length})"
        ))
    } else if length > MAX_PASSWORD_CHARS {
        Err(format!(
            "the password must have at most {MAX_PASSWORD_CHARS} characters"
        ))
    } else if password.trim().is_empty() || chars.all(|c| Some(c) == first) {
        Err("the password must not be one character repeated or only spaces".to_string())
    } else if is_common(password) {
        Err(
            "the password is too common to be safe; choose a longer phrase of unrelated words"
                .to_string(),
        )
    } else {
        Ok(())
    }
}

fn is_common(password: &str) -> bool {
    let lower = password.trim().to_lowercase();
    let stem = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    COMMON_PASSWORDS.contains(lower.as_str()) || COMMON_PASSWORDS.contains(stem)
}

/// Checks a change an administrator makes to their own account: they may not disable
/// it or give up their admin role, so that there is always someone to undo a mistake.
pub fn check_own_change(role: Option<Role>, active: Option<bool>) -> Result<(), String> {
    if active == Some(false) || role.is_some_and(|r| r != Role::Admin) {
        Err("you cannot disable yourself or give up your own admin role; ask another admin".into())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            Email::parse(" Jo.Smith@Met.Police.UK ").unwrap().as_str(),
            "jo.smith@met.police.uk"
        );
    }

    #[test]
    fn implausible_emails_are_refused() {
        for bad in [
            "",
            "jo",
            "jo@",
            "@met.police.uk",
            "jo@police",
            "jo smith@met.police.uk",
            "jo@@met.police.uk",
            "jo@met.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn roles_parse_and_name_the_choices() {
        assert_eq!("finance".parse(), Ok(Role::Finance));
        assert_eq!(
            "superuser".parse::<Role>().unwrap_err().to_string(),
            "'superuser' is not a role; use one of: admin, finance, lead, auditor, viewer"
        );
    }

    #[test]
    fn an_admin_keeps_their_own_account_and_role() {
        assert!(check_own_change(None, Some(false)).is_err());
        assert!(check_own_change(Some(Role::Viewer), None).is_err());
        assert!(check_own_change(Some(Role::Admin), Some(true)).is_ok());
        assert!(check_own_change(None, None).is_ok());
    }

    #[test]
    fn passwords_need_length() {
        assert!(validate_password("short").is_err());
        assert!(validate_password("correct horse battery").is_ok());
    }

    #[test]
    fn weak_passwords_are_refused_with_the_reason() {
        for weak in [
            "password1234",
            "Password1234!",
            "            ",
            "aaaaaaaaaaaa",
            "qwertyuiop12",
            "1q2w3e4r5t6y",
        ] {
            assert!(validate_password(weak).is_err(), "{weak:?} was accepted");
        }
        assert!(
            validate_password("            ")
                .unwrap_err()
                .contains("only spaces")
        );
        assert!(
            validate_password("Password1234!")
                .unwrap_err()
                .contains("too common")
        );
        for strong in [
            "correct horse battery staple",
            "an admin password for tests",
            "Kx7pQ2mVw9Lz",
        ] {
            assert_eq!(validate_password(strong), Ok(()), "{strong:?}");
        }
    }
}
