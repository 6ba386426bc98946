//! The audit trail is a hash chain: verify finds any entry changed or removed behind
//! Beacon's back, by its sequence number, and concurrent writers never fork it.

use std::sync::Barrier;

use beacon_api::app;
use beacon_core::audit_chain::Break;
use beacon_core::{Rating, Role};
use beacon_db::{audit, migrate};
use beacon_tests::both_backends;

use crate::support::*;

/// Five changes, so five audit entries (sequence numbers 1 to 5).
fn five_changes(conn: &mut beacon_db::DbConnection) {
    programme(conn, "pnd-transformation");
    report_now(conn, "pnd-transformation", Rating::Amber);
    report_now(conn, "pnd-transformation", Rating::Red);
    programme(conn, "esn");
    report_now(conn, "pnd-transformation", Rating::Green);
    assert_eq!(beacon_tests::inspect::audit_count(conn), 5);
    // As the server's sealer does (on SQLite each entry is linked as it is written).
    app::audit::seal(conn).unwrap();
}

/// The chain checked as an auditor asks for it.
fn verify(conn: &mut beacon_db::DbConnection) -> beacon_db::audit::Verification {
    app::audit::verify(conn, &admin()).unwrap()
}

both_backends!(fn an_untouched_trail_verifies_and_reports_its_head(db) {
    let mut conn = db.conn();
    five_changes(&mut conn);
    let check = verify(&mut conn);
    assert!(check.is_intact(), "{check:?}");
    assert_eq!(check.checked, 5);
    assert_eq!(check.head_seq, Some(5));
    let newest = beacon_tests::inspect::audit_latest(&mut conn, 1);
    assert_eq!(check.head_hash, newest[0].hash);
    assert_eq!(newest[0].seq, Some(5));
});

both_backends!(fn an_empty_trail_verifies(db) {
    let check = verify(&mut db.conn());
    assert!(check.is_intact());
    assert_eq!((check.checked, check.head_seq), (0, None));
});

both_backends!(fn an_entry_edited_by_direct_sql_is_reported_with_its_sequence_number(db) {
    let mut conn = db.conn();
    five_changes(&mut conn);
    db.tamper("UPDATE audit_log SET after = replace(after, 'red', 'green') WHERE seq = 3");
    let check = verify(&mut conn);
    assert_eq!(check.first_break, Some((3, Break::Content)));
    assert_eq!(check.checked, 2, "the entries before it still check out");
    assert_eq!(check.head_seq, Some(2));
});

both_backends!(fn a_deleted_entry_is_reported_as_the_first_missing_number(db) {
    let mut conn = db.conn();
    five_changes(&mut conn);
    db.tamper("DELETE FROM audit_log WHERE seq = 2");
    let check = verify(&mut conn);
    assert_eq!(check.first_break, Some((2, Break::Gap { expected: 2 })));
    assert_eq!(check.checked, 1);
});

both_backends!(fn an_entry_rewritten_with_a_fresh_hash_breaks_the_next_link(db) {
    let mut conn = db.conn();
    five_changes(&mut conn);
    // Whoever rewrites entry 3 can recompute its own hash, but not entry 4's link.
    let third = beacon_tests::inspect::audit_latest(&mut conn, 5).into_iter().find(|e| e.seq == Some(3)).unwrap();
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
    let check = verify(&mut conn);
    assert_eq!(check.first_break, Some((4, Break::Link)));
    assert_eq!(check.checked, 3);
});

both_backends!(fn an_entry_taken_out_of_the_chain_is_reported(db) {
    let mut conn = db.conn();
    five_changes(&mut conn);
    db.tamper("UPDATE audit_log SET seq = NULL WHERE seq = 5");
    let check = verify(&mut conn);
    assert_eq!(check.unchained, 1);
    assert!(!check.is_intact());
    assert_eq!(check.checked, 4, "the chain before it is whole");
});

both_backends!(fn entries_join_the_chain_in_the_order_they_were_written(db) {
    let mut conn = db.conn();
    programme(&mut conn, "pnd-transformation");
    app::audit::seal(&mut conn).unwrap();
    report_now(&mut conn, "pnd-transformation", Rating::Amber);
    report_now(&mut conn, "pnd-transformation", Rating::Red);
    let written = beacon_tests::inspect::audit_latest(&mut conn, 2);
    if db.is_postgres() {
        // Linked after commit, so writers do not queue behind each other's commit.
        assert!(written.iter().all(|e| e.seq.is_none() && e.hash.is_none()), "{written:?}");
        assert_eq!(app::audit::seal(&mut conn).unwrap(), 2);
    } else {
        // SQLite has one writer at a time anyway: linked as written.
        assert!(written.iter().all(|e| e.seq.is_some() && e.hash.is_some()), "{written:?}");
    }
    assert_eq!(app::audit::seal(&mut conn).unwrap(), 0, "nothing is linked twice");
    let linked = beacon_tests::inspect::audit_latest(&mut conn, 3);
    let seqs: Vec<_> = linked.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [Some(3), Some(2), Some(1)], "newest first, numbered in the order written");
    assert_eq!(linked[0].prev_hash, linked[1].hash);
    assert!(verify(&mut conn).is_intact());
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
    assert!(verify(&mut conn).is_intact());
});

both_backends!(fn entries_from_before_the_chain_are_sealed_on_upgrade(db) {
    let mut conn = db.conn();
    five_changes(&mut conn);
    // Entries as the first release wrote them: no sequence number, no hashes.
    db.tamper("INSERT INTO audit_log (at, actor, action, entity, entity_id, after) VALUES ('2026-01-01 00:00:00', 'beacon seed', 'create', 'force', 'kent', '{}')");
    db.tamper("INSERT INTO audit_log (at, actor, action, entity, entity_id, after) VALUES ('2026-01-01 00:00:01', 'beacon seed', 'create', 'force', 'essex', '{}')");
    migrate::run_pending(&mut conn).unwrap();
    let check = verify(&mut conn);
    assert!(check.is_intact(), "{check:?}");
    assert_eq!((check.checked, check.head_seq), (7, Some(7)));
});

both_backends!(fn parallel_writers_leave_one_chain_that_verifies(db) {
    let codes = ["pnd-transformation", "esn", "live-facial-recognition", "eagle-x"];
    {
        let mut conn = db.conn();
        for code in codes {
            programme(&mut conn, code);
        }
    }
    // Eight writers and, as when several servers share a database, two sealers.
    let barrier = Barrier::new(8);
    let writing = &std::sync::atomic::AtomicUsize::new(8);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(move || {
                let mut conn = db.conn();
                while writing.load(std::sync::atomic::Ordering::SeqCst) > 0 {
                    app::audit::seal(&mut conn).unwrap();
                }
            });
        }
        for i in 0..8 {
            let (barrier, code) = (&barrier, codes[i % codes.len()]);
            scope.spawn(move || {
                barrier.wait();
                let mut conn = db.conn();
                for n in 0..15 {
                    let rating = if n % 2 == 0 { Rating::Red } else { Rating::Amber };
                    report_now(&mut conn, code, rating);
                }
                writing.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            });
        }
    });
    let mut conn = db.conn();
    let check = verify(&mut conn);
    assert!(check.is_intact(), "{check:?}");
    assert_eq!(check.checked, 4 + 8 * 15);
    assert_eq!(check.head_seq, Some(4 + 8 * 15));
});

both_backends!(fn only_auditors_and_admins_read_the_trail(db) {
    let mut conn = db.conn();
    let auditor = user(&mut conn, "auditor@beacon.police.uk", Role::Auditor);
    let viewer = user(&mut conn, "viewer@beacon.police.uk", Role::Viewer);
    let filter = audit::Filter::default();
    let read = app::audit::page(&mut conn, &as_user(&auditor), &filter, None, 100).unwrap();
    assert_eq!(read.len(), 2, "both users' creation, sealed and in chain order");
    assert_eq!(read.iter().map(|e| e.seq).collect::<Vec<_>>(), [Some(1), Some(2)]);
    assert!(app::audit::verify(&mut conn, &as_user(&auditor)).unwrap().is_intact());
    let error = app::audit::page(&mut conn, &as_user(&viewer), &filter, None, 100).unwrap_err();
    assert!(matches!(error, app::AppError::Denied(_)), "{error:?}");
    assert!(matches!(app::audit::verify(&mut conn, &as_user(&viewer)), Err(app::AppError::Denied(_))));
});
