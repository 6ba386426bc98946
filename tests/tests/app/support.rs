//! Builders for the records most tests need, each made through the application's use
//! cases as a user (here an administrator) would make it.

use beacon_api::app::alerts::Policy;
use beacon_api::app::funding::Allocated;
use beacon_api::app::reports::Reported;
use beacon_api::app::{self, AppError, Caller};
use beacon_core::{
    Email, Envelope, FinancialYear, FundingStream, LedgerKind, NewLedgerEntry, NewProgramme,
    NewStatusReport, Pence, Rating, RawProgramme, Role,
};
use beacon_db::records::{AuditEntry, EnvelopeState, Programme, Stream, User};
use beacon_db::status_reports::Provenance;
use beacon_db::{DbConnection, write_transaction};
use chrono::NaiveDateTime;

/// Beacon acting for an operator at the command line: an administrator.
pub fn admin() -> Caller {
    Caller::system("test")
}

/// A real user, with their own role.
pub fn as_user(user: &User) -> Caller {
    Caller::user(user.id, user.email.as_str(), user.role)
}

pub fn year(text: &str) -> FinancialYear {
    text.parse().unwrap()
}

pub fn day(text: &str) -> chrono::NaiveDate {
    text.parse().unwrap()
}

pub fn programme_input(code: &str) -> NewProgramme {
    NewProgramme::parse(RawProgramme {
        code: code.into(),
        name: format!("Programme {code}"),
        description: "A programme made by a test.".into(),
        capability_area: "data-and-intelligence".into(),
        sponsor: "Home Office".into(),
        lead_force: None,
        stage: "delivery".into(),
        start_date: Some(day("2021-04-01")),
        planned_end_date: Some(day("2027-03-31")),
        whole_life_cost_pence: Some(28_264_000_000),
    })
    .unwrap()
}

pub fn programme(conn: &mut DbConnection, code: &str) -> Programme {
    app::programmes::register(conn, &admin(), &programme_input(code)).unwrap()
}

/// The programme as the register shows it now.
pub fn programme_now(conn: &mut DbConnection, code: &str) -> Programme {
    app::register::get(conn, &Default::default(), code, None)
        .unwrap()
        .programme
}

pub fn user(conn: &mut DbConnection, email: &str, role: Role) -> User {
    app::users::create(
        conn,
        &admin(),
        &Email::parse(email).unwrap(),
        role,
        "$argon2id$not-a-real-hash",
    )
    .unwrap()
}

pub fn stream(conn: &mut DbConnection, code: &str) -> Stream {
    let stream = FundingStream::parse(code, &format!("Stream {code}"), "Made by a test").unwrap();
    app::funding::create_stream(conn, &admin(), &stream).unwrap()
}

pub fn envelope(conn: &mut DbConnection, stream_code: &str, fy: &str, pence: i64) {
    let envelope = Envelope::new(year(fy), Pence::new(pence)).unwrap();
    app::funding::set_envelope(
        conn,
        &admin(),
        stream_code,
        &envelope,
        "test",
        &[],
        &Policy::off(),
    )
    .unwrap();
}

/// A stream's envelope for a year, as the stream's page shows it.
pub fn envelope_of(conn: &mut DbConnection, stream_code: &str, fy: &str) -> EnvelopeState {
    app::funding::get_stream(conn, stream_code)
        .unwrap()
        .envelopes
        .into_iter()
        .find(|e| e.year == year(fy))
        .unwrap()
}

pub fn entry(kind: LedgerKind, pence: i64) -> NewLedgerEntry {
    NewLedgerEntry::new(kind, Pence::new(pence), "Made by a test").unwrap()
}

/// Records a ledger entry, raising no alerts.
pub fn record(
    conn: &mut DbConnection,
    stream_code: &str,
    programme_code: &str,
    fy: &str,
    kind: LedgerKind,
    pence: i64,
) -> Result<Allocated, AppError> {
    app::funding::record_entry(
        conn,
        &admin(),
        stream_code,
        programme_code,
        year(fy),
        &entry(kind, pence),
        &Policy::off(),
    )
}

pub fn report(rating: Rating) -> NewStatusReport {
    NewStatusReport::new(
        rating,
        "Because a test says so",
        day("2025-06-30"),
        day("2025-07-01"),
    )
    .unwrap()
}

/// A report made now, raising no alerts.
pub fn report_now(conn: &mut DbConnection, code: &str, rating: Rating) -> Reported {
    report_with(conn, code, rating, &Policy::off())
}

/// A report made now, raising alerts under `policy`.
pub fn report_with(
    conn: &mut DbConnection,
    code: &str,
    rating: Rating,
    policy: &Policy,
) -> Reported {
    app::reports::report_status(conn, &admin(), code, &report(rating), policy).unwrap()
}

/// A report with its own date and source, as published ratings are recorded.
pub fn report_at(
    conn: &mut DbConnection,
    code: &str,
    rating: Rating,
    at: NaiveDateTime,
    source: &str,
    policy: &Policy,
) -> Reported {
    let who = admin();
    write_transaction(conn, |tx| {
        let programme = beacon_db::programmes::lock(tx, code)?;
        let provenance = Provenance {
            reported_by: None,
            reported_at: at,
            source,
        };
        app::reports::record(
            tx,
            &who.actor,
            programme,
            &report(rating),
            &provenance,
            policy,
        )
    })
    .unwrap()
}

/// The audit trail of one record, oldest first, as an auditor reads it.
pub fn trail(conn: &mut DbConnection, entity: &str, entity_id: &str) -> Vec<AuditEntry> {
    let filter = beacon_db::audit::Filter {
        entity: Some(entity.parse().unwrap()),
        entity_id: Some(entity_id.to_string()),
        ..Default::default()
    };
    app::audit::page(conn, &admin(), &filter, None, 1000).unwrap()
}

/// The number of rows in a table.
pub fn rows(conn: &mut DbConnection, table: &str) -> i64 {
    beacon_tests::row_counts(conn)
        .into_iter()
        .find(|(t, _)| *t == table)
        .map(|(_, n)| n)
        .unwrap()
}

pub fn all_row_counts(conn: &mut DbConnection) -> Vec<(&'static str, i64)> {
    beacon_tests::row_counts(conn)
}
