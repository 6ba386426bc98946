//! The backup drill: `beacon backup` copies a live SQLite database while a server
//! writes to it, and the copy, restored, is a whole register at one moment.

use std::sync::atomic::{AtomicBool, Ordering};

use beacon_tests::app::TestApp;
use serde_json::json;

use super::*;

const STREAM: &str = "/api/v1/funding-streams/hmt-police-technology-2024-28";

fn ledger_count(db: &TestDb) -> i64 {
    let counts = beacon_tests::row_counts(&mut db.conn());
    counts
        .iter()
        .find(|(t, _)| *t == "ledger_entries")
        .unwrap()
        .1
}

#[test]
fn a_backup_taken_while_a_server_writes_restores_to_a_whole_register() {
    let app = TestApp::spawn(TestDb::sqlite());
    let (_, finance) = app.user("pmo@beacon.police.uk", "finance");
    let room = app.send(
        "PUT",
        &format!("{STREAM}/envelopes/2025-26"),
        Some(&finance),
        Some(&json!({"amount_pence": 900_000_000_000_i64, "basis": "Room for the drill"})),
    );
    assert_eq!(room.status, 200, "{}", room.text);
    let before = ledger_count(&app.db);
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("beacon-backup.db");
    let copy_text = copy.to_str().unwrap();

    let backed_up = AtomicBool::new(false);
    let output = std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let mut after_backup = 0;
            for i in 0.. {
                let reply = app.post(&format!("{STREAM}/allocations"), &finance, json!({"programme": "esn", "financial_year": "2025-26", "amount_pence": 1_000 + i, "kind": "allocation", "reason": format!("Drill {i}")}));
                assert_eq!(reply.status, 201, "{}", reply.text);
                if backed_up.load(Ordering::SeqCst) {
                    after_backup += 1;
                    if after_backup == 5 {
                        return;
                    }
                }
            }
        });
        while ledger_count(&app.db) < before + 5 {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let output = run(
            dir.path(),
            &["--database-url", &app.db.url_text, "backup", copy_text],
        );
        backed_up.store(true, Ordering::SeqCst);
        writer.join().unwrap();
        output
    });
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("Backed up the SQLite database"),
        "{}",
        stdout(&output)
    );

    // Restored: the chain verifies, and the copy is the register at one moment, taken
    // while writes went on.
    let restored = TestDb::sqlite_file(&copy);
    let verified = run(
        dir.path(),
        &["--database-url", copy_text, "audit", "verify"],
    );
    assert!(verified.status.success(), "{}", stderr(&verified));
    assert!(
        stdout(&verified).contains("intact:    yes"),
        "{}",
        stdout(&verified)
    );
    let (copied, now) = (ledger_count(&restored), ledger_count(&app.db));
    assert!(
        before + 5 <= copied && copied < now,
        "{before} <= {copied} < {now}"
    );
    let mut conn = restored.conn();
    let audited: i64 = beacon_db::audit::page(
        &mut conn,
        &beacon_db::audit::Filter {
            entity: Some(beacon_core::audit_trail::AuditEntity::LedgerEntry),
            ..Default::default()
        },
        None,
        1_000_000,
    )
    .unwrap()
    .len() as i64;
    assert_eq!(
        audited, copied,
        "each entry in the copy has its audit entry, and no more"
    );

    // Every history row of the copy is the source's row with the same id.
    let served = TestApp::spawn(restored);
    let auditor_copy = served.user("nao@audit.gov.uk", "auditor").1;
    let auditor_live = app.user("nao@audit.gov.uk", "auditor").1;
    let rows = served
        .get(
            "/api/v1/funding/history?programme=esn&limit=200",
            &auditor_copy,
        )
        .json();
    let rows = rows["items"].as_array().unwrap();
    assert!(rows.len() > 5);
    for row in rows {
        let id = row["id"].as_str().unwrap();
        let live = app
            .get(&format!("/api/v1/funding/history/{id}"), &auditor_live)
            .json();
        let copied = served
            .get(&format!("/api/v1/funding/history/{id}"), &auditor_copy)
            .json();
        assert_eq!(live, copied, "{id}");
        assert!(copied["audit"]["hash"].is_string(), "{copied}");
    }

    // An existing file is never overwritten.
    let again = run(
        dir.path(),
        &["--database-url", &app.db.url_text, "backup", copy_text],
    );
    assert_refused(&again, "already exists");
}

#[test]
fn postgres_is_backed_up_with_its_own_tools() {
    let db = TestDb::postgres();
    let dir = tempfile::tempdir().unwrap();
    let refused = run(
        dir.path(),
        &["--database-url", &db.url_text, "backup", "copy.db"],
    );
    assert_refused(&refused, "pg_dump");
    assert!(!dir.path().join("copy.db").exists());
}
