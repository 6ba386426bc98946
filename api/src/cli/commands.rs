//! The commands that change the register: seed, users, envelopes.

use std::io::IsTerminal;

use beacon_core::{Email, Envelope, FinancialYear, Pence, Role, user::validate_password};
use std::path::Path;

use beacon_db::users::UserChange;
use beacon_db::{DatabaseUrl, PooledConnection};
use comfy_table::{Cell, CellAlignment};

use super::Failure;
use super::args::{UserCommand, UserEmail};
use super::views::new_table;
use crate::app::alerts::Policy;
use crate::app::{AppError, Caller, funding, seed, users};
use crate::outln;

pub(super) fn seed(out: &mut String, conn: &mut PooledConnection) -> Result<(), Failure> {
    let added = seed::load(conn)?;
    if added.total() == 0 {
        outln!(out, "Seed data already loaded: nothing to add");
        return Ok(());
    }
    outln!(
        out,
        "Added {} forces, {} programmes, {} status reports, {} funding streams, {} envelopes, {} allocations, {} spend entries",
        added.forces,
        added.programmes,
        added.status_reports,
        added.funding_streams,
        added.envelopes,
        added.allocations,
        added.spend
    );
    Ok(())
}

pub(super) fn user(
    out: &mut String,
    conn: &mut PooledConnection,
    command: UserCommand,
) -> Result<(), Failure> {
    match command {
        UserCommand::Add { email, role } => user_add(out, conn, &email, role),
        UserCommand::List => user_list(out, conn),
        UserCommand::Deactivate(UserEmail { email }) => user_standing(out, conn, &email, false),
        UserCommand::Activate(UserEmail { email }) => user_standing(out, conn, &email, true),
        UserCommand::ResetPassword(UserEmail { email }) => user_reset_password(out, conn, &email),
        UserCommand::LiftThrottle(UserEmail { email }) => user_lift_throttle(out, conn, &email),
    }
}

fn user_add(
    out: &mut String,
    conn: &mut PooledConnection,
    email: &Email,
    role: Role,
) -> Result<(), Failure> {
    let hash = new_password_hash("the new user's password")?;
    let user = users::create(conn, &Caller::system("beacon user add"), email, role, &hash)?;
    outln!(
        out,
        "Created user {} ({}) with id {}",
        user.email,
        user.role,
        user.id
    );
    Ok(())
}

/// A password read and checked against the password rules, hashed.
fn new_password_hash(whose: &str) -> Result<String, Failure> {
    let password = read_password(whose)?;
    validate_password(&password)?;
    crate::password::hash(&password).map_err(|e| Failure(e.to_string()))
}

/// From the prompt when a person is at a terminal, else from BEACON_PASSWORD: a
/// password is never a flag, which other users of the host could read.
fn read_password(whose: &str) -> Result<String, Failure> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")
            .map_err(|e| Failure(format!("cannot read the password: {e}")))?;
        let second = rpassword::prompt_password("Password again: ")
            .map_err(|e| Failure(format!("cannot read the password: {e}")))?;
        if first != second {
            return Err(Failure(
                "the two passwords differ; run the command again".into(),
            ));
        }
        Ok(first)
    } else {
        std::env::var("BEACON_PASSWORD").map_err(|_| {
            Failure(format!(
                "no terminal to ask for a password: set BEACON_PASSWORD to {whose}"
            ))
        })
    }
}

fn user_list(out: &mut String, conn: &mut PooledConnection) -> Result<(), Failure> {
    let users = users::list(conn, &Caller::system("beacon user list"), None, i64::MAX)?;
    if users.is_empty() {
        outln!(
            out,
            "No users yet: add one with `beacon user add --email ... --role admin`"
        );
        return Ok(());
    }
    let mut table = new_table(&["Id", "Email", "Role", "Active", "Created (UTC)"]);
    for user in users {
        table.add_row(vec![
            Cell::new(user.id).set_alignment(CellAlignment::Right),
            Cell::new(&user.email),
            Cell::new(user.role),
            Cell::new(if user.active { "yes" } else { "no" }),
            Cell::new(user.created_at.format("%Y-%m-%d %H:%M")),
        ]);
    }
    outln!(out, "{table}");
    Ok(())
}

/// Deactivates or reactivates a user; one already so is left as they are.
fn user_standing(
    out: &mut String,
    conn: &mut PooledConnection,
    email: &Email,
    active: bool,
) -> Result<(), Failure> {
    let (label, done) = if active {
        ("beacon user activate", "active")
    } else {
        ("beacon user deactivate", "deactivated")
    };
    let who = Caller::system(label);
    let user = users::by_email(conn, &who, email)?;
    if user.active == active {
        outln!(out, "{email} is already {done}: nothing changed");
        return Ok(());
    }
    let change = UserChange {
        active: Some(active),
        ..UserChange::default()
    };
    users::update(conn, &who, user.id, &change)?;
    if active {
        outln!(
            out,
            "{email} is active again and may sign in ({})",
            user.role
        );
    } else {
        outln!(
            out,
            "{email} is deactivated: they cannot sign in, their tokens have ended, and they are no longer emailed alerts"
        );
    }
    Ok(())
}

fn user_reset_password(
    out: &mut String,
    conn: &mut PooledConnection,
    email: &Email,
) -> Result<(), Failure> {
    let who = Caller::system("beacon user reset-password");
    let user = users::by_email(conn, &who, email)?;
    let change = UserChange {
        password_hash: Some(new_password_hash("the user's new password")?),
        ..UserChange::default()
    };
    users::update(conn, &who, user.id, &change)?;
    outln!(
        out,
        "New password set for {email}; tokens issued before it have ended"
    );
    if !user.active {
        outln!(
            out,
            "{email} is deactivated: `beacon user activate --email {email}` lets them sign in"
        );
    }
    Ok(())
}

fn user_lift_throttle(
    out: &mut String,
    conn: &mut PooledConnection,
    email: &Email,
) -> Result<(), Failure> {
    let who = Caller::system("beacon user lift-throttle");
    let user = users::by_email(conn, &who, email)?;
    let forgotten = crate::app::sign_in::lift(conn, &who, user.id)?;
    outln!(
        out,
        "{email} may sign in again at once ({forgotten} failed attempts forgotten)"
    );
    Ok(())
}

pub(super) fn envelope_set(
    out: &mut String,
    conn: &mut PooledConnection,
    stream: &str,
    year: FinancialYear,
    amount_pence: i64,
    basis: &str,
) -> Result<(), Failure> {
    let envelope = Envelope::new(year, Pence::new(amount_pence))
        .map_err(|e| Failure(format!("--amount-pence: {e}")))?;
    let who = Caller::system("beacon envelope set");
    // No withdrawals from here, so nothing to tell owners.
    let set = funding::set_envelope(conn, &who, stream, &envelope, basis, &[], &Policy::off())
        .map_err(|e| match e {
            AppError::NotFound(_) => Failure(format!("no funding stream has the code '{stream}'")),
            other => other.into(),
        })?;
    outln!(
        out,
        "{} envelope for {year}: {} ({} allocated)",
        set.stream.code,
        set.envelope.amount,
        set.envelope.allocated
    );
    Ok(())
}

pub(super) fn backup(
    out: &mut String,
    url: &DatabaseUrl,
    conn: &mut PooledConnection,
    file: &Path,
) -> Result<(), Failure> {
    let started = std::time::Instant::now();
    let bytes = beacon_db::backup::sqlite(conn, file).map_err(|e| Failure(e.to_string()))?;
    outln!(
        out,
        "Backed up the SQLite database at {} to {} ({:.1} MB in {:.1} s)",
        url.redacted(),
        file.display(),
        bytes as f64 / 1_000_000.0,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub(super) fn copy(
    out: &mut String,
    from: &DatabaseUrl,
    conn: &mut PooledConnection,
    to: &str,
) -> Result<(), Failure> {
    let url = DatabaseUrl::parse(to)?;
    let target = beacon_db::open(&url)?;
    let mut target = target.get().map_err(beacon_db::DbError::from)?;
    if let Some(table) = beacon_db::copy::first_with_rows(&mut target)? {
        return Err(Failure(format!(
            "{} at {} is not empty ({table} has rows): copy into a new, empty database",
            url.backend_name(),
            url.redacted()
        )));
    }
    let started = std::time::Instant::now();
    let mut rows = 0;
    beacon_db::copy::all(conn, &mut target, &mut |table, done, total| {
        if done == total {
            eprintln!("beacon: copied {table}: {total} rows");
            rows += total;
        }
    })?;
    outln!(
        out,
        "Copied {rows} rows from the {} database at {} to the {} database at {} in {:.1} s",
        from.backend_name(),
        from.redacted(),
        url.backend_name(),
        url.redacted(),
        started.elapsed().as_secs_f64()
    );
    outln!(
        out,
        "Check it with: beacon --database-url '{}' audit verify",
        url.redacted()
    );
    Ok(())
}
