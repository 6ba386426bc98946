//! Accounts: who may sign in, with which role.

use beacon_core::user::check_own_change;
use beacon_core::{Action, Email, Role};
use beacon_db::records::{Credentials, User};
use beacon_db::users::{self, UserChange};
use beacon_db::{DbConnection, write_transaction};

use super::{AppError, Caller};

pub fn list(
    conn: &mut DbConnection,
    who: &Caller,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<User>, AppError> {
    who.may(Action::ReadUsers)?;
    Ok(users::page(conn, after, limit)?)
}

pub fn get(conn: &mut DbConnection, who: &Caller, id: i64) -> Result<User, AppError> {
    who.may(Action::ReadUsers)?;
    Ok(users::get(conn, id)?)
}

/// The signed-in user's own account.
pub fn me(conn: &mut DbConnection, who: &Caller) -> Result<User, AppError> {
    let id = who
        .user_id()
        .ok_or_else(|| AppError::NotFound("Beacon's own commands have no account".into()))?;
    Ok(users::get(conn, id)?)
}

/// Adds an account; `password_hash` is the argon2 hash of a password already checked
/// against `beacon_core::user::validate_password`.
pub fn create(
    conn: &mut DbConnection,
    who: &Caller,
    email: &Email,
    role: Role,
    password_hash: &str,
) -> Result<User, AppError> {
    who.may(Action::ManageUsers)?;
    write_transaction(conn, |tx| {
        if users::find_by_email(tx, email)?.is_some() {
            return Err(AppError::Conflict(format!(
                "a user with email {email} already exists"
            )));
        }
        Ok(users::insert(tx, &who.actor, email, role, password_hash)?)
    })
}

/// Changes a user's role, disables or enables them, or resets their password.
pub fn update(
    conn: &mut DbConnection,
    who: &Caller,
    id: i64,
    change: &UserChange,
) -> Result<User, AppError> {
    who.may(Action::ManageUsers)?;
    if who.user_id() == Some(id) {
        check_own_change(change.role, change.active).map_err(AppError::Conflict)?;
    }
    write_transaction(conn, |tx| Ok(users::update(tx, &who.actor, id, change)?))
}

/// The account a sign-in names, with its password hash, if there is one.
pub fn credentials(
    conn: &mut DbConnection,
    email: &Email,
) -> Result<Option<Credentials>, AppError> {
    Ok(users::credentials(conn, email)?)
}

/// The user a token or session names, as stored now, if they are active and the token
/// was issued under their current token version: a disabled account, a changed role or
/// a new password ends the tokens issued before it.
pub fn signed_in(
    conn: &mut DbConnection,
    id: i64,
    token_version: i64,
) -> Result<Option<Caller>, AppError> {
    Ok(users::find(conn, id)?
        .filter(|user| user.active && user.token_version == token_version)
        .map(|user| Caller::user(user.id, user.email.as_str(), user.role)))
}

/// Whether nobody has an account yet: then the server makes the first admin.
pub fn none_yet(conn: &mut DbConnection) -> Result<bool, AppError> {
    Ok(users::count(conn)? == 0)
}

/// What start-up did about the admin account its settings name.
#[derive(Debug)]
pub enum AdminAtStart {
    /// The account was missing and is made now; the password is returned when Beacon
    /// generated it, to be shown once.
    Created {
        user: User,
        generated_password: Option<String>,
    },
    /// The account is there and the settings agree with it (or name no password).
    AsSet,
    /// The account is there, but the password in the settings is not its password. The
    /// stored one stays: a setting never overwrites a password unasked.
    PasswordDiffers { user: User },
    /// The account is there but cannot act as an admin: it has another role or is
    /// disabled. It is left as it is.
    NotAnActiveAdmin { user: User },
}

/// Makes sure the admin account named at start exists. `password` is one already
/// checked against `validate_password`; when there is none and the account is made,
/// a password is generated.
pub fn admin_at_start(
    conn: &mut DbConnection,
    email: &Email,
    password: Option<&str>,
) -> Result<AdminAtStart, AppError> {
    if let Some(found) = users::credentials(conn, email)? {
        let user = found.user;
        return Ok(if user.role != Role::Admin || !user.active {
            AdminAtStart::NotAnActiveAdmin { user }
        } else if password.is_some_and(|p| !crate::password::verify(p, &found.password_hash)) {
            AdminAtStart::PasswordDiffers { user }
        } else {
            AdminAtStart::AsSet
        });
    }
    let (password, generated_password) = match password {
        Some(password) => (password.to_string(), None),
        None => {
            let made = generate_password();
            (made.clone(), Some(made))
        }
    };
    let hash = crate::password::hash(&password).map_err(|e| AppError::Internal(e.to_string()))?;
    let user = create(
        conn,
        &Caller::system("beacon serve"),
        email,
        Role::Admin,
        &hash,
    )?;
    Ok(AdminAtStart::Created {
        user,
        generated_password,
    })
}

fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..20)
        .map(|_| char::from(ALPHABET[rand::random_range(0..ALPHABET.len())]))
        .collect()
}

/// The account with this email, for an administrator.
pub fn by_email(conn: &mut DbConnection, who: &Caller, email: &Email) -> Result<User, AppError> {
    who.may(Action::ManageUsers)?;
    named(conn, email)
}

fn named(conn: &mut DbConnection, email: &Email) -> Result<User, AppError> {
    users::find_by_email(conn, email)?
        .ok_or_else(|| AppError::NotFound(format!("no user has the email {email}")))
}

/// The named user as the caller of a use case run for them at the command line, so
/// that the rules, the record and the audit trail name that person: refused when no
/// one has the email or the account is deactivated.
pub fn acting_as(conn: &mut DbConnection, email: &Email) -> Result<Caller, AppError> {
    let user = named(conn, email)?;
    if !user.active {
        return Err(AppError::Conflict(format!(
            "{email}'s account is deactivated"
        )));
    }
    Ok(Caller::user(user.id, user.email.as_str(), user.role))
}
