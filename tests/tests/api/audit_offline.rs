//! The audit chain checked without Beacon: the repository's script recomputes every
//! hash from the CSV export, as an auditor runs it on their own machine.

use std::process::Command;

use beacon_tests::api_test;
use beacon_tests::app::TestApp;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tools/verify_audit_chain.py"
);

/// The script's exit status and what it printed, run over `csv`.
fn verify_offline(csv: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.csv");
    std::fs::write(&file, csv).unwrap();
    let out = Command::new("python3")
        .arg(SCRIPT)
        .arg(&file)
        .output()
        .expect("python3 runs");
    let printed =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), printed)
}

/// `beacon audit …` on the app's database, with `env` set: its exit status and what it
/// printed.
fn beacon_audit(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_beacon-under-test"))
        .current_dir(dir.path())
        .args(["--database-url", &app.db.url_text, "audit"])
        .args(args)
        .env_remove("BEACON_JWT_SECRET")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let printed =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), printed)
}

/// The export with its rows changed by `change`, the header kept.
fn altered(csv: &str, change: impl FnOnce(&mut Vec<Vec<String>>)) -> String {
    let (header, mut rows) = beacon_tests::csv_table(csv);
    change(&mut rows);
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&header).unwrap();
    for row in &rows {
        out.write_record(row).unwrap();
    }
    String::from_utf8(out.into_inner().unwrap()).unwrap()
}

const STREAM: &str = "/api/v1/funding-streams/hmt-police-technology-2024-28";

/// A finance officer's token, with room in the 2025-26 envelope for many allocations.
fn finance_with_room(app: &TestApp) -> String {
    let (_, finance) = app.user("pmo@beacon.police.uk", "finance");
    let room = app.send(
        "PUT",
        &format!("{STREAM}/envelopes/2025-26"),
        Some(&finance),
        Some(&json!({"amount_pence": 900_000_000_000_i64, "basis": "Room for the test"})),
    );
    assert_eq!(room.status, 200, "{}", room.text);
    finance
}

/// Writes of every kind, with text a canonical serialisation could get wrong: quotes,
/// a line break, letters outside ASCII.
fn random_writes(app: &TestApp, finance: &str, count: usize, seed: u64) {
    let admin = app.admin();
    let stream = STREAM;
    let programmes = [
        "esn",
        "hob",
        "eagle-x",
        "knife-detection",
        "live-facial-recognition",
    ];
    let mut rng = StdRng::seed_from_u64(seed);
    for i in 0..count {
        let code = programmes[rng.random_range(0..programmes.len())];
        let pence = rng.random_range(1..5_000_000_i64);
        let rating = ["red", "amber", "green"][rng.random_range(0..3)];
        let reply = match rng.random_range(0..3) {
            0 => app.post(
                &format!("/api/v1/programmes/{code}/status-reports"),
                &admin,
                json!({"rating": rating, "rationale": format!("Report {i}: the \"vans\" arrive\nnaïve café — £{pence}"), "period_end": "2026-09-30"}),
            ),
            1 => app.post(
                &format!("/api/v1/programmes/{code}/spend"),
                finance,
                json!({"financial_year": "2025-26", "amount_pence": pence, "category": "run", "description": format!("Spend {i}, “quoted”")}),
            ),
            _ => app.post(
                &format!("{stream}/allocations"),
                finance,
                json!({"programme": code, "financial_year": "2025-26", "amount_pence": pence, "kind": "allocation", "reason": format!("Allocation {i}")}),
            ),
        };
        assert!(reply.status < 300, "{}: {}", reply.status, reply.text);
    }
}

api_test!(fn the_script_recomputes_the_chain_from_the_csv_and_names_each_tampered_row(app) {
    let finance = finance_with_room(app);
    random_writes(app, &finance, 240, 31);
    let (_, auditor) = app.user("nao@audit.gov.uk", "auditor");
    let export = app.raw("GET", "/api/v1/audit?format=csv", Some(&auditor), None, &[]);
    assert_eq!(export.status, 200, "{}", export.text);
    let csv = export.text;
    let verified = app.get("/api/v1/audit/verify", &auditor).json();
    assert_eq!(verified["intact"], true, "{verified}");

    let (status, printed) = verify_offline(&csv);
    assert_eq!(status, 0, "{printed}");
    let agreed = format!(
        "intact: {} entries; head seq {} hash {}",
        verified["checked"], verified["head_seq"], verified["head_hash"].as_str().unwrap()
    );
    assert_eq!(printed.trim(), agreed, "the script agrees with Beacon's own check");
    assert!(verified["checked"].as_i64().unwrap() > 240);

    // An edited row is named by its sequence number.
    let edited = altered(&csv, |rows| rows[99][3] = "nobody@beacon.police.uk".into());
    let (status, printed) = verify_offline(&edited);
    assert_eq!(status, 1);
    assert!(printed.contains("seq 100: its contents do not give its hash"), "{printed}");
    // So is one whose snapshot was rewritten, down to a single character.
    let rewritten = altered(&csv, |rows| {
        let row = rows.iter_mut().rev().find(|r| r[8].contains("amount_pence")).unwrap();
        row[8] = row[8].replacen("amount_pence\":", "amount_pence\":9", 1);
    });
    let (status, printed) = verify_offline(&rewritten);
    assert_eq!(status, 1);
    assert!(printed.contains("its contents do not give its hash"), "{printed}");
    // A deleted row: the next one says which sequence number it expected.
    let deleted = altered(&csv, |rows| {
        rows.remove(149);
    });
    let (status, printed) = verify_offline(&deleted);
    assert_eq!(status, 1);
    assert!(printed.contains("seq 151: expected sequence number 150 here"), "{printed}");
    // Two rows swapped: both are named.
    let reordered = altered(&csv, |rows| rows.swap(199, 200));
    let (status, printed) = verify_offline(&reordered);
    assert_eq!(status, 1);
    assert!(printed.contains("seq 201: expected sequence number 200 here"), "{printed}");
    assert!(printed.contains("seq 200: expected sequence number 202 here"), "{printed}");
    // A file that is not the audit export is refused in a line.
    let (status, printed) = verify_offline("seq,at\n1,2\n");
    assert_eq!(status, 2);
    assert!(printed.contains("not Beacon's audit CSV"), "{printed}");
});

api_test!(fn a_signed_checkpoint_finds_entries_removed_from_the_end(app) {
    use beacon_core::checkpoint::{Checkpoint, CheckpointKey};
    let finance = finance_with_room(app);
    random_writes(app, &finance, 20, 7);
    let (_, auditor) = app.user("nao@audit.gov.uk", "auditor");
    let taken = app.get("/api/v1/audit/checkpoint", &auditor);
    assert_eq!(taken.status, 200, "{}", taken.text);
    let checkpoint = taken.json();
    let head = checkpoint["seq"].as_i64().unwrap();
    let key = app.get("/api/v1/audit/public-key", &auditor).json();
    assert_eq!(key["algorithm"], "Ed25519");
    assert_eq!(key["public_key"], checkpoint["public_key"]);
    let verified = app.get("/api/v1/audit/verify", &auditor).json();
    assert_eq!((verified["head_seq"].as_i64(), &verified["head_hash"]), (Some(head), &checkpoint["hash"]));

    // Later writes: the trail still holds the checkpoint.
    random_writes(app, &finance, 5, 8);
    let report = app.post("/api/v1/audit/verify", &auditor, checkpoint.clone());
    assert_eq!(report.status, 200, "{}", report.text);
    let report = report.json();
    assert_eq!(report["intact"], true, "{report}");
    assert!(report["checkpoint"].as_str().unwrap().contains("holds"), "{report}");
    // The command line checks the same file, with the public key the auditor kept or
    // with the servers' secret.
    let saved = tempfile::tempdir().unwrap();
    let file = saved.path().join("checkpoint.json");
    std::fs::write(&file, checkpoint.to_string()).unwrap();
    let file = file.to_str().unwrap();
    let public_key = key["public_key"].as_str().unwrap();
    let (ok, said) = beacon_audit(app, &["verify", "--against", file, "--public-key", public_key], &[]);
    assert!(ok && said.contains("intact:    yes") && said.contains("holds the checkpoint"), "{said}");
    let secret = [("BEACON_JWT_SECRET", beacon_tests::app::TEST_SECRET)];
    let (ok, said) = beacon_audit(app, &["verify", "--against", file], &secret);
    assert!(ok, "{said}");
    let (ok, said) = beacon_audit(app, &["verify", "--against", file], &[]);
    assert!(!ok && said.contains("--public-key"), "{said}");
    // A checkpoint the command line takes is one the API accepts.
    let (ok, taken_here) = beacon_audit(app, &["checkpoint"], &secret);
    assert!(ok, "{taken_here}");
    let taken_here: serde_json::Value = serde_json::from_str(&taken_here).unwrap();
    let report = app.post("/api/v1/audit/verify", &auditor, taken_here).json();
    assert_eq!(report["intact"], true, "{report}");
    let (ok, said) = beacon_audit(app, &["checkpoint"], &[]);
    assert!(!ok && said.contains("BEACON_JWT_SECRET"), "{said}");

    // The last ten entries up to the checkpoint removed behind Beacon's back: the
    // shorter chain still verifies on its own, but not against the checkpoint.
    app.db.tamper(&format!("DELETE FROM audit_log WHERE seq > {}", head - 10));
    assert_eq!(app.get("/api/v1/audit/verify", &auditor).json()["intact"], true);
    let report = app.post("/api/v1/audit/verify", &auditor, checkpoint.clone()).json();
    assert_eq!(report["intact"], false, "{report}");
    let said = report["checkpoint"].as_str().unwrap();
    assert!(said.contains(&format!("ends at sequence number {}", head - 10)), "{said}");
    let (ok, said) = beacon_audit(app, &["verify", "--against", file, "--public-key", public_key], &[]);
    assert!(!ok, "{said}");
    assert!(said.contains(&format!("ends at sequence number {}", head - 10)), "{said}");
    assert!(said.contains("beacon: the audit trail does not hold the checkpoint"), "{said}");

    // A checkpoint signed by another key, or altered, is refused.
    let head_of = |cp: &serde_json::Value| Checkpoint {
        seq: cp["seq"].as_i64().unwrap(),
        hash: cp["hash"].as_str().unwrap().to_string(),
        at: cp["at"].as_str().unwrap().to_string(),
    };
    let other = CheckpointKey::derive(b"another register's secret");
    let mut forged = checkpoint.clone();
    forged["public_key"] = other.public_key().into();
    forged["signature"] = other.sign(&head_of(&checkpoint)).into();
    let refused = app.post("/api/v1/audit/verify", &auditor, forged.clone()).problem(422);
    assert_eq!(refused["errors"][0]["field"], "public_key", "{refused}");
    std::fs::write(file, forged.to_string()).unwrap();
    let (ok, said) = beacon_audit(app, &["verify", "--against", file, "--public-key", public_key], &[]);
    assert!(!ok && said.contains("another public key"), "{said}");
    std::fs::write(file, "{\"seq\": 3}").unwrap();
    let (ok, said) = beacon_audit(app, &["verify", "--against", file, "--public-key", public_key], &[]);
    assert!(!ok && said.contains("is not a checkpoint"), "{said}");
    forged["public_key"] = checkpoint["public_key"].clone();
    let refused = app.post("/api/v1/audit/verify", &auditor, forged).problem(422);
    assert_eq!(refused["errors"][0]["field"], "signature", "{refused}");
    let mut altered = checkpoint.clone();
    altered["seq"] = (head - 20).into();
    let refused = app.post("/api/v1/audit/verify", &auditor, altered).problem(422);
    assert!(refused["errors"][0]["message"].as_str().unwrap().contains("does not match"), "{refused}");
    // Only auditors and admins take checkpoints.
    let (_, viewer) = app.user("viewer@norfolk.police.uk", "viewer");
    assert_eq!(app.get("/api/v1/audit/checkpoint", &viewer).status, 403);
});
