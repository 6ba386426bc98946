//! The audit trail is a hash chain: verify finds any entry changed or removed behind
//! Beacon's back, by its sequence number, and concurrent writers never fork it.

use std::sync::Barrier;

use beacon_core::Rating;
use beacon_core::audit_chain::Break;
use beacon_db::{audit, migrate};
use beacon_tests::both_backends;

use crate::support::*;

/// Five changes, so five audit entries (sequence numbers 1 to 5).
fn five_changes(conn: &mut beacon_db::DbConnection) {
    let p = programme(conn, "pnd-transformation");
    report_now(conn, p.id, Rating::Amber);
    report_now(conn, p.id, Rating::Red);
    programme(conn, "esn");
    report_now(conn, p.id, Rating::Green);
    assert_eq!(audit::count(conn).unwrap(), 5);
    // As the server's sealer does (on SQLite each entry is linked as it is written).
    audit::seal(conn).unwrap();
}

both_backends!(fn an_untouched_trail_verifies_and_reports_its_head(db) {
    let mut conn = db.conn();
    five_changes(&mut conn);
    let check = audit::verify(&mut conn).unwrap();
    assert!(check.is_intact(), "{check:?}");
    assert_eq!(check.checked, 5);
    assert_eq!(check.head_seq, Some(5));
    let newest = audit::latest(&mut conn, 1).unwrap();
    assert_eq!(check.head_hash, newest[0].hash);
    assert_eq!(newest[0].seq, Some(5));
});

both_backends!(fn an_empty_trail_verifies(db) {
    let check = audit::verify(&mut db.conn()).unwrap();
    assert!(check.is_intact());
    assert_eq!((check.checked, check.head_seq), (0, None));
});

both_backends!(fn an_entry_edited_by_direct_sql_is_reported_with_its_sequence_number(db) {
    let mut conn = db.conn();
    five_changes(&mut conn);
    db.tamper("UPDATE audit_log SET after = replace(after, 'red', 'green') WHERE seq = 3");
    let check = audit::verify(&mut conn).unwrap();
    assert_eq!(check.first_break, Some((3, Break::Content)));
    assert_eq!(check.checked, 2, "the entries before it still check out");
    assert_eq!(check.head_seq, Some(2));
});

both_backends!(fn a_deleted_entry_is_reported_as_the_first_missing_number(db) {
    let mut conn = db.conn();
    five_changes(&mut conn);
    db.tamper("DELETE FROM audit_log WHERE seq = 2");
    let check = audit::verify(&mut conn).unwrap();
    assert_eq!(check.first_break, Some((2, Break::Gap { expected: 2 })));
    assert_eq!(check.checked, 1);
});

both_backends!(fn an_entry_rewritten_with_a_fresh_hash_breaks_the_next_link(db) {
    let mut conn = db.conn();
    five_changes(&mut conn);
    // Whoever rewrites entry 3 can recompute its own hash, but not entry 4's link.
    let third = audit::latest(&mut conn, 5).unwrap().into_iter().find(|e| e.seq == Some(3)).unwrap();
    let forged = beacon_core::audit_chain::Entry {
        seq: 3,
        at: third.at,
        actor_id: third.actor_id,
        actor: "someone-else@beacon.test",
        action: &third.action,
        entity: &third.entity,
        entity_id: &third.entity_id,
        before: third.before.as_deref(),
        after: third.after.as_deref(),
    };
    let hash = forged.hash(third.prev_hash.as_deref().unwrap());
    db.tamper(&format!("UPDATE audit_log SET actor = 'someone-else@beacon.test', hash = '{hash}' WHERE seq = 3"));
    let check = audit::verify(&mut conn).unwrap();
    assert_eq!(check.first_break, Some((4, Break::Link)));
    assert_eq!(check.checked, 3);
});

both_backends!(fn an_entry_taken_out_of_the_chain_is_reported(db) {
    let mut conn = db.conn();
    five_changes(&mut conn);
    db.tamper("UPDATE audit_log SET seq = NULL WHERE seq = 5");
    let check = audit::verify(&mut conn).unwrap();
    assert_eq!(check.unchained, 1);
    assert!(!check.is_intact());
    assert_eq!(check.checked, 4, "the chain before it is whole");
});

both_backends!(fn entries_join_the_chain_in_the_order_they_were_written(db) {
    let mut conn = db.conn();
    let p = programme(&mut conn, "pnd-transformation");
    audit::seal(&mut conn).unwrap();
    report_now(&mut conn, p.id, Rating::Amber);
    report_now(&mut conn, p.id, Rating::Red);
    let written = audit::latest(&mut conn, 2).unwrap();
    if db.is_postgres() {
        // Linked after commit, so writers do not queue behind each other's commit.
        assert!(written.iter().all(|e| e.seq.is_none() && e.hash.is_none()), "{written:?}");
        assert_eq!(audit::seal(&mut conn).unwrap(), 2);
    } else {
        // SQLite has one writer at a time anyway: linked as written.
        assert!(written.iter().all(|e| e.seq.is_some() && e.hash.is_some()), "{written:?}");
    }
    assert_eq!(audit::seal(&mut conn).unwrap(), 0, "nothing is linked twice");
    let linked = audit::latest(&mut conn, 3).unwrap();
    let seqs: Vec<_> = linked.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [Some(3), Some(2), Some(1)], "newest first, numbered in the order written");
    assert_eq!(linked[0].prev_hash, linked[1].hash);
    assert!(audit::verify(&mut conn).unwrap().is_intact());
});

both_backends!(fn the_database_refuses_to_change_or_remove_history(db) {
    let mut conn = db.conn();
    five_changes(&mut conn);
    use diesel::connection::SimpleConnection;
    for sql in [
        "UPDATE audit_log SET actor = 'x' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 5",
        "UPDATE status_reports SET rating = 'green'",
        "DELETE FROM status_reports",
    ] {
        let error = conn.batch_execute(sql).expect_err(sql).to_string();
        assert!(error.contains("append-only"), "{sql}: {error}");
    }
    assert!(audit::verify(&mut conn).unwrap().is_intact());
});

both_backends!(fn entries_from_before_the_chain_are_sealed_on_upgrade(db) {
    let mut conn = db.conn();
    five_changes(&mut conn);
    // Entries as the first release wrote them: no sequence number, no hashes.
    db.tamper("INSERT INTO audit_log (at, actor, action, entity, entity_id, after) VALUES ('2026-01-01 00:00:00', 'beacon seed', 'create', 'force', 'kent', '{}')");
    db.tamper("INSERT INTO audit_log (at, actor, action, entity, entity_id, after) VALUES ('2026-01-01 00:00:01', 'beacon seed', 'create', 'force', 'essex', '{}')");
    migrate::run_pending(&mut conn).unwrap();
    let check = audit::verify(&mut conn).unwrap();
    assert!(check.is_intact(), "{check:?}");
    assert_eq!((check.checked, check.head_seq), (7, Some(7)));
});

both_backends!(fn parallel_writers_leave_one_chain_that_verifies(db) {
    let ids: Vec<i64> = {
        let mut conn = db.conn();
        ["pnd-transformation", "esn", "live-facial-recognition", "eagle-x"]
            .iter()
            .map(|code| programme(&mut conn, code).id)
            .collect()
    };
    // Eight writers and, as when several servers share a database, two sealers.
    let barrier = Barrier::new(8);
    let writing = &std::sync::atomic::AtomicUsize::new(8);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(move || {
                let mut conn = db.conn();
                while writing.load(std::sync::atomic::Ordering::SeqCst) > 0 {
                    audit::seal(&mut conn).unwrap();
                }
            });
        }
        for i in 0..8 {
            let (barrier, id) = (&barrier, ids[i % ids.len()]);
            scope.spawn(move || {
                barrier.wait();
                let mut conn = db.conn();
                for n in 0..15 {
                    let rating = if n % 2 == 0 { Rating::Red } else { Rating::Amber };
                    report_now(&mut conn, id, rating);
                }
                writing.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            });
        }
    });
    let mut conn = db.conn();
    let check = audit::verify(&mut conn).unwrap();
    assert!(check.is_intact(), "{check:?}");
    assert_eq!(check.checked, 4 + 8 * 15);
    assert_eq!(check.head_seq, Some(4 + 8 * 15));
});
