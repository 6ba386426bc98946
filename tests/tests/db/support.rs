//! Builders for the records most tests need.

use beacon_core::{
    Email, Envelope, FinancialYear, FundingStream, LedgerKind, NewLedgerEntry, NewProgramme,
    NewStatusReport, Pence, Rating, RawProgramme, Role,
};
use beacon_db::models::{ProgrammeRow, StreamRow, UserRow};
use beacon_db::{Actor, DbConnection, funding, programmes, status_reports, users};

pub fn actor() -> Actor {
    Actor::system("test")
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

pub fn programme(conn: &mut DbConnection, code: &str) -> ProgrammeRow {
    programmes::create(conn, &actor(), &programme_input(code)).unwrap()
}

pub fn user(conn: &mut DbConnection, email: &str, role: Role) -> UserRow {
    users::create(
        conn,
        &actor(),
        &Email::parse(email).unwrap(),
        role,
        "$argon2id$not-a-real-hash",
    )
    .unwrap()
}

pub fn stream(conn: &mut DbConnection, code: &str) -> StreamRow {
    let stream = FundingStream::parse(code, &format!("Stream {code}"), "Made by a test").unwrap();
    funding::create_stream(conn, &actor(), &stream).unwrap()
}

pub fn envelope(conn: &mut DbConnection, stream_id: i64, fy: &str, pence: i64) {
    let envelope = Envelope::new(year(fy), Pence::new(pence)).unwrap();
    funding::set_envelope(
        conn,
        &actor(),
        stream_id,
        &envelope,
        "test",
        &[],
        &beacon_db::alerts::Policy::off(),
    )
    .unwrap();
}

pub fn entry(kind: LedgerKind, pence: i64) -> NewLedgerEntry {
    NewLedgerEntry::new(kind, Pence::new(pence), "Made by a test").unwrap()
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

pub fn report_now(
    conn: &mut DbConnection,
    programme_id: i64,
    rating: Rating,
) -> status_reports::Recorded {
    report_with(
        conn,
        programme_id,
        rating,
        &beacon_db::alerts::Policy::off(),
    )
}

/// A report made now, raising alerts under `policy`.
pub fn report_with(
    conn: &mut DbConnection,
    programme_id: i64,
    rating: Rating,
    policy: &beacon_db::alerts::Policy,
) -> status_reports::Recorded {
    let provenance = status_reports::Provenance {
        reported_by: None,
        reported_at: None,
        source: "beacon",
        owners_only: false,
    };
    status_reports::record(
        conn,
        &actor(),
        programme_id,
        &report(rating),
        &provenance,
        policy,
    )
    .unwrap()
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
