//! A write that fails part-way leaves nothing behind. The failure is real: a trigger
//! makes the database refuse one statement of the transaction.

use beacon_api::app;
use beacon_api::app::alerts::Policy;
use beacon_core::{LedgerKind, Pence, Rating};
use beacon_tests::{TestDb, both_backends};

use crate::support::*;

/// Makes every `event` (INSERT or UPDATE) on `table` fail from now on.
fn break_table(db: &TestDb, table: &str, event: &str) {
    if db.is_postgres() {
        db.execute(&format!(
            "CREATE FUNCTION refuse_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN RAISE EXCEPTION '{table} is unavailable'; END $$;
             CREATE TRIGGER refuse_{table} BEFORE {event} ON {table}
             FOR EACH ROW EXECUTE FUNCTION refuse_{table}();"
        ));
    } else {
        db.execute(&format!(
            "CREATE TRIGGER refuse_{table} BEFORE {event} ON {table}
             BEGIN SELECT RAISE(ABORT, '{table} is unavailable'); END;"
        ));
    }
}

fn try_report(db: &TestDb, code: &str) -> bool {
    let mut conn = db.conn();
    app::reports::report_status(
        &mut conn,
        &admin(),
        code,
        &report(Rating::Red),
        &Policy::off(),
    )
    .is_ok()
}

both_backends!(fn no_status_report_without_its_audit_entry(db) {
    programme(&mut db.conn(), "pnd-transformation");
    let audit_before = rows(&mut db.conn(), "audit_log");
    break_table(db, "audit_log", "INSERT");
    assert!(!try_report(db, "pnd-transformation"));
    let mut conn = db.conn();
    assert_eq!(rows(&mut conn, "status_reports"), 0, "the report rolled back with its audit entry");
    assert_eq!(rows(&mut conn, "audit_log"), audit_before);
    let row = programme_now(&mut conn, "pnd-transformation");
    assert_eq!((row.rating, row.version), (None, 1), "the programme is as it was");
});

both_backends!(fn no_audit_entry_without_its_change(db) {
    programme(&mut db.conn(), "esn");
    let audit_before = rows(&mut db.conn(), "audit_log");
    // The report is stored, then updating the programme's rating fails.
    break_table(db, "programmes", "UPDATE");
    assert!(!try_report(db, "esn"));
    let mut conn = db.conn();
    assert_eq!(rows(&mut conn, "status_reports"), 0);
    assert_eq!(rows(&mut conn, "audit_log"), audit_before);
});

both_backends!(fn no_ledger_entry_without_its_totals_and_audit(db) {
    let mut conn = db.conn();
    programme(&mut conn, "ndas");
    stream(&mut conn, "ptf");
    envelope(&mut conn, "ptf", "2018-19", 10_000);
    let audit_before = rows(&mut conn, "audit_log");
    drop(conn);
    break_table(db, "programme_year_totals", "INSERT");
    let mut conn = db.conn();
    let result = record(&mut conn, "ptf", "ndas", "2018-19", LedgerKind::Allocation, 5_000);
    assert!(result.is_err());
    assert_eq!(rows(&mut conn, "ledger_entries"), 0);
    assert_eq!(rows(&mut conn, "audit_log"), audit_before);
    assert_eq!(envelope_of(&mut conn, "ptf", "2018-19").allocated, Pence::ZERO);
});

both_backends!(fn a_write_that_panics_part_way_leaves_nothing_and_the_next_write_lands(db) {
    let p = programme(&mut db.conn(), "pnd-transformation");
    let audit_before = rows(&mut db.conn(), "audit_log");
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut conn = db.conn();
        let _: Result<(), beacon_db::DbError> = beacon_db::write_transaction(&mut conn, |tx| {
            diesel::RunQueryDsl::execute(
                diesel::sql_query(format!("UPDATE programmes SET name = 'Half done' WHERE id = {}", p.id)),
                &mut **tx,
            )?;
            panic!("a fault part-way through a write");
        });
    }));
    assert!(panicked.is_err());
    // The connection went back to the pool: the next write must not find it (or, on
    // SQLite, the database's write lock) stuck in the transaction the panic left.
    assert!(try_report(db, "pnd-transformation"), "the next write lands");
    let mut conn = db.conn();
    let row = programme_now(&mut conn, "pnd-transformation");
    assert_eq!(row.name, p.name, "the half-done change rolled back");
    assert_eq!(row.rating, Some(Rating::Red));
    assert_eq!(rows(&mut conn, "status_reports"), 1);
    assert_eq!(rows(&mut conn, "audit_log"), audit_before + 1);
});
