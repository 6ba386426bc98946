//! A write that fails part-way leaves nothing behind. The failure is real: a trigger
//! makes the database refuse one statement of the transaction.

use beacon_core::{LedgerKind, Rating};
use beacon_db::{funding, programmes, status_reports};
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

fn try_report(db: &TestDb, programme_id: i64) -> bool {
    let mut conn = db.conn();
    let provenance = status_reports::Provenance {
        reported_by: None,
        reported_at: None,
        source: "beacon",
        owners_only: false,
    };
    status_reports::record(
        &mut conn,
        &actor(),
        programme_id,
        &report(Rating::Red),
        &provenance,
        &beacon_db::alerts::Policy::off(),
    )
    .is_ok()
}

both_backends!(fn no_status_report_without_its_audit_entry(db) {
    let p = programme(&mut db.conn(), "pnd-transformation");
    let audit_before = rows(&mut db.conn(), "audit_log");
    break_table(db, "audit_log", "INSERT");
    assert!(!try_report(db, p.id));
    let mut conn = db.conn();
    assert_eq!(rows(&mut conn, "status_reports"), 0, "the report rolled back with its audit entry");
    assert_eq!(rows(&mut conn, "audit_log"), audit_before);
    let row = programmes::get_by_code(&mut conn, "pnd-transformation").unwrap();
    assert_eq!((row.current_rating, row.version), (None, 1), "the programme is as it was");
});

both_backends!(fn no_audit_entry_without_its_change(db) {
    let p = programme(&mut db.conn(), "esn");
    let audit_before = rows(&mut db.conn(), "audit_log");
    // The report is stored, then updating the programme's rating fails.
    break_table(db, "programmes", "UPDATE");
    assert!(!try_report(db, p.id));
    let mut conn = db.conn();
    assert_eq!(rows(&mut conn, "status_reports"), 0);
    assert_eq!(rows(&mut conn, "audit_log"), audit_before);
});

both_backends!(fn no_ledger_entry_without_its_totals_and_audit(db) {
    let mut conn = db.conn();
    let p = programme(&mut conn, "ndas");
    let s = stream(&mut conn, "ptf");
    envelope(&mut conn, s.id, "2018-19", 10_000);
    let audit_before = rows(&mut conn, "audit_log");
    drop(conn);
    break_table(db, "programme_year_totals", "INSERT");
    let mut conn = db.conn();
    let result = funding::record_entry(&mut conn, &actor(), s.id, p.id, year("2018-19"), &entry(LedgerKind::Allocation, 5_000), None, &beacon_db::alerts::Policy::off());
    assert!(result.is_err());
    assert_eq!(rows(&mut conn, "ledger_entries"), 0);
    assert_eq!(rows(&mut conn, "audit_log"), audit_before);
    assert_eq!(funding::find_envelope(&mut conn, s.id, year("2018-19")).unwrap().unwrap().allocated_pence, 0);
});

both_backends!(fn a_write_that_panics_part_way_leaves_nothing_and_the_next_write_lands(db) {
    let p = programme(&mut db.conn(), "pnd-transformation");
    let audit_before = rows(&mut db.conn(), "audit_log");
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut conn = db.conn();
        let _: Result<(), beacon_db::DbError> = beacon_db::write_transaction(&mut conn, |conn| {
            diesel::RunQueryDsl::execute(
                diesel::sql_query(format!("UPDATE programmes SET name = 'Half done' WHERE id = {}", p.id)),
                conn,
            )?;
            panic!("a fault part-way through a write");
        });
    }));
    assert!(panicked.is_err());
    // On SQLite the write ran on the database's one write connection: the next write
    // must not find it stuck in the transaction the panic left.
    assert!(try_report(db, p.id), "the next write lands");
    let mut conn = db.conn();
    let row = programmes::get_by_code(&mut conn, "pnd-transformation").unwrap();
    assert_eq!(row.name, p.name, "the half-done change rolled back");
    assert_eq!(row.current_rating, Some(Rating::Red.as_str().to_string()));
    assert_eq!(rows(&mut conn, "status_reports"), 1);
    assert_eq!(rows(&mut conn, "audit_log"), audit_before + 1);
});
