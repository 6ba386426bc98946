//! The commands that change a programme: status reports made for a named user, and
//! its owners.

use beacon_core::{Action, Denied, Email, NewStatusReport, ValidationErrors};
use beacon_db::PooledConnection;
use beacon_db::records::User;

use super::Failure;
use super::args::{OwnerArgs, ReportArgs};
use crate::app::alerts::Policy;
use crate::app::owners_cache::OwnersCache;
use crate::app::reports::Reported;
use crate::app::{AppError, Caller, programmes, register, reports, users};
use crate::outln;

/// What an unknown programme code is told.
pub(super) fn no_programme(code: &str) -> Failure {
    Failure(format!(
        "no programme has the code '{code}'; `beacon portfolio` lists every code"
    ))
}

/// A use case's refusal, with an unknown programme told as such.
fn about_programme(code: &str) -> impl Fn(AppError) -> Failure + '_ {
    move |error| match error {
        AppError::NotFound(_) => no_programme(code),
        other => other.into(),
    }
}

/// Field errors named by the flags that set them: `--period-end: …`.
fn by_flag(errors: &ValidationErrors) -> Failure {
    let parts: Vec<String> = errors
        .fields()
        .iter()
        .map(|e| format!("--{}: {}", e.field.replace('_', "-"), e.message))
        .collect();
    Failure(parts.join("; "))
}

/// The user named by `--as`, as the caller: they must exist and be active.
fn reporter(conn: &mut PooledConnection, email: &Email) -> Result<Caller, Failure> {
    users::acting_as(conn, email).map_err(|error| match error {
        AppError::NotFound(_) => Failure(format!(
            "--as: no user has the email {email}; `beacon user list` lists every user"
        )),
        AppError::Conflict(reason) => Failure(format!(
            "--as: {reason}; `beacon user activate --email {email}` lets them report again"
        )),
        other => other.into(),
    })
}

pub(super) fn report(
    out: &mut String,
    conn: &mut PooledConnection,
    args: ReportArgs,
) -> Result<(), Failure> {
    let today = chrono::Utc::now().date_naive();
    let report = NewStatusReport::new(args.rating, &args.rationale, args.period_end, today)
        .map_err(|e| by_flag(&e))?;
    let who = reporter(conn, &args.reporter)?;
    let policy = args.alerts.policy();
    let code = args.code.as_str();
    let reported = reports::report_status(conn, &who, code, &report, &policy).map_err(|error| {
        match error {
            AppError::Denied(denied @ Denied::NotAnOwner { .. }) => Failure(format!(
                "as {}: {denied}; `beacon owner add --programme {code} --email {}` makes them one",
                args.reporter, args.reporter
            )),
            AppError::Denied(denied) => Failure(format!("as {}: {denied}", args.reporter)),
            other => about_programme(code)(other),
        }
    })?;
    print_report(out, &reported, &args.reporter, &policy);
    Ok(())
}

fn print_report(out: &mut String, reported: &Reported, by: &Email, policy: &Policy) {
    let Reported {
        programme, report, ..
    } = reported;
    let was = match reported.previous_rating {
        Some(previous) => format!(", was {previous}"),
        None => String::new(),
    };
    outln!(
        out,
        "Recorded {} for {} ({}){was}",
        report.rating,
        programme.name,
        programme.code
    );
    outln!(
        out,
        "Report {} for the period ending {}, by {} at {} UTC",
        report.id,
        report.period_end,
        by,
        report.reported_at.format("%Y-%m-%d %H:%M")
    );
    if !report.rationale.is_empty() {
        outln!(out, "Rationale: {}", report.rationale);
    }
    if reported.turned_red {
        outln!(out, "{}", red_news(reported, policy));
    } else if reported.alerts > 0 {
        outln!(
            out,
            "It left Red: its owners will be emailed ({})",
            queued(reported.alerts)
        );
    }
}

/// What happens now that the programme turned Red: who will be emailed, or why no one.
fn red_news(reported: &Reported, policy: &Policy) -> String {
    let code = &reported.programme.code;
    if !policy.enabled {
        return "It turned Red, but alerts are off (BEACON_ALERTS=off): no one will be emailed"
            .into();
    }
    if reported.alerts == 0 {
        return format!(
            "It turned Red, but it has no active owners to email: add one with `beacon owner add --programme {code} --email …`"
        );
    }
    format!(
        "It turned Red: its owners will be emailed ({})",
        queued(reported.alerts)
    )
}

fn queued(alerts: usize) -> String {
    let s = if alerts == 1 { "" } else { "s" };
    format!(
        "{alerts} alert{s} queued, sent by the running server's alert worker or `beacon worker`"
    )
}

/// The user an owner command names, for an administrator.
fn owner_user(conn: &mut PooledConnection, who: &Caller, email: &Email) -> Result<User, Failure> {
    users::by_email(conn, who, email).map_err(|error| match error {
        AppError::NotFound(_) => Failure(format!(
            "--email: no user has the email {email}; add them with `beacon user add --email {email} --role lead`"
        )),
        other => other.into(),
    })
}

pub(super) fn owner_add(
    out: &mut String,
    conn: &mut PooledConnection,
    args: &OwnerArgs,
) -> Result<(), Failure> {
    let who = Caller::system("beacon owner add");
    let user = owner_user(conn, &who, &args.email)?;
    let code = args.programme.as_str();
    let added = programmes::add_owner(conn, &who, code, user.id).map_err(about_programme(code))?;
    if added {
        outln!(out, "{} now owns {code}", args.email);
    } else {
        outln!(out, "{} already owns {code}: nothing changed", args.email);
    }
    if !user.active {
        outln!(
            out,
            "{} is deactivated: they will not be emailed its alerts until `beacon user activate --email {}`",
            args.email,
            args.email
        );
    } else if !user.role.may(Action::ReportStatus) {
        outln!(
            out,
            "{} is {}: they will be emailed its alerts but may not report its status (leads and admins may)",
            args.email,
            user.role
        );
    }
    Ok(())
}

pub(super) fn owner_remove(
    out: &mut String,
    conn: &mut PooledConnection,
    args: &OwnerArgs,
) -> Result<(), Failure> {
    let who = Caller::system("beacon owner remove");
    let user = owner_user(conn, &who, &args.email)?;
    let code = args.programme.as_str();
    // Tell an unknown programme apart from a user who does not own it.
    register::get(conn, &OwnersCache::default(), code, None).map_err(about_programme(code))?;
    programmes::remove_owner(conn, &who, code, user.id).map_err(|error| match error {
        AppError::NotFound(_) => Failure(format!(
            "{} does not own {code}; `beacon programme {code}` lists its owners",
            args.email
        )),
        other => other.into(),
    })?;
    outln!(out, "{} no longer owns {code}", args.email);
    Ok(())
}
