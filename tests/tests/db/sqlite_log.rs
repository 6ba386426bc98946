//! SQLite's write-ahead log: Beacon's connections leave checkpoints to one thread per
//! database, which must keep the log from growing without end while writers never
//! pause, and let it start over once they do.

use beacon_db::sqlite_writes::RESTART_AT;
use beacon_db::write_transaction;
use beacon_tests::TestDb;
use diesel::connection::SimpleConnection;

/// Bytes of a log page: the page and its frame header.
const FRAME: u64 = 4096 + 24;

fn log_bytes(db: &TestDb) -> u64 {
    std::fs::metadata(format!("{}-wal", db.url_text)).map_or(0, |m| m.len())
}

#[derive(diesel::QueryableByName)]
struct Checkpointed {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    log: i32,
}

#[derive(diesel::QueryableByName)]
struct Integrity {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}

#[test]
fn writes_that_never_pause_leave_a_bounded_log_that_starts_over_when_they_do() {
    let db = TestDb::sqlite();
    db.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, data BLOB NOT NULL)");
    for id in 1..=8 {
        db.execute(&format!(
            "INSERT INTO filler (id, data) VALUES ({id}, zeroblob(1))"
        ));
    }
    // Two writers that never pause, each write about ten pages of log, three times
    // the log's bound in all; and a reader beside them, as requests read.
    let per_writer = 3 * RESTART_AT as u64 / 10 / 2 + 1;
    let stop_reading = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let writers: Vec<_> = (0..2)
            .map(|writer| {
                let db = &db;
                scope.spawn(move || {
                    let mut conn = db.conn();
                    for n in 0..per_writer {
                        let id = 1 + (n * 2 + writer) % 8;
                        write_transaction(&mut conn, |c| {
                            c.batch_execute(&format!(
                                "UPDATE filler SET data = randomblob(36000) WHERE id = {id}"
                            ))
                        })
                        .unwrap();
                    }
                })
            })
            .collect();
        let reader = scope.spawn(|| {
            let mut conn = db.conn();
            while !stop_reading.load(std::sync::atomic::Ordering::Relaxed) {
                conn.batch_execute("SELECT count(*) FROM filler").unwrap();
            }
        });
        for writer in writers {
            writer.join().unwrap();
        }
        stop_reading.store(true, std::sync::atomic::Ordering::Relaxed);
        reader.join().unwrap();
    });
    let bound = 2 * RESTART_AT as u64 * FRAME;
    let high_water = log_bytes(&db);
    assert!(
        high_water < bound,
        "the log grew to {high_water} bytes; it should stay under {bound}"
    );

    // Once writes pause, the checkpointer copies the whole log, and the next write
    // starts it over from the beginning.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut conn = db.conn();
    write_transaction(&mut conn, |c| {
        c.batch_execute("UPDATE filler SET data = zeroblob(1) WHERE id = 1")
    })
    .unwrap();
    let now: Checkpointed = diesel::RunQueryDsl::get_result(
        diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)"),
        &mut *conn,
    )
    .unwrap();
    assert!(
        now.log < 100,
        "the log did not start over: {} pages in it",
        now.log
    );
    let check: Integrity =
        diesel::RunQueryDsl::get_result(diesel::sql_query("PRAGMA integrity_check"), &mut *conn)
            .unwrap();
    assert_eq!(check.integrity_check, "ok");
}
