//! `beacon copy`: a register moved from SQLite to PostgreSQL and back, whole.

use beacon_tests::app::TestApp;
use chrono::{Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use super::*;

const STREAM: &str = "/api/v1/funding-streams/hmt-police-technology-2024-28";

/// Random status reports, allocations and spend, some taking effect in the past.
fn random_writes(app: &TestApp, count: usize) {
    let admin = app.admin();
    let (_, finance) = app.user("pmo@beacon.police.uk", "finance");
    let room = app.send(
        "PUT",
        &format!("{STREAM}/envelopes/2025-26"),
        Some(&finance),
        Some(&json!({"amount_pence": 900_000_000_000_i64, "basis": "Room"})),
    );
    assert_eq!(room.status, 200, "{}", room.text);
    let mut rng = StdRng::seed_from_u64(7);
    for i in 0..count {
        let code = ["esn", "hob", "eagle-x", "knife-detection"][rng.random_range(0..4)];
        let day = (Utc::now() - Duration::days(rng.random_range(0..900)))
            .date_naive()
            .to_string();
        let pence = rng.random_range(1..1_000_000_i64);
        let rating = ["red", "amber", "green"][i % 3];
        let reply = match rng.random_range(0..3) {
            0 => app.post(&format!("/api/v1/programmes/{code}/status-reports"), &admin, json!({"rating": rating, "rationale": format!("Report {i}: “quoted”, naïve"), "period_end": "2026-09-30"})),
            1 => app.post(&format!("/api/v1/programmes/{code}/spend"), &finance, json!({"financial_year": "2025-26", "amount_pence": pence, "category": "run", "description": format!("Spend {i}"), "effective_on": day})),
            _ => app.post(&format!("{STREAM}/allocations"), &finance, json!({"programme": code, "financial_year": "2025-26", "amount_pence": pence, "kind": "allocation", "reason": format!("Allocation {i}"), "effective_on": day})),
        };
        assert!(reply.status < 300, "{}: {}", reply.status, reply.text);
    }
}

/// What an auditor would compare: the portfolio and summary on several dates, and a
/// history page with its citable ids.
fn answers(app: &TestApp) -> Vec<Value> {
    let auditor = app.token("nao@audit.gov.uk", beacon_tests::app::PASSWORD);
    let today = Utc::now().date_naive();
    let mut paths: Vec<String> = [
        "2019-03-31".to_string(),
        "2024-06-30".into(),
        (today - Duration::days(400)).to_string(),
        (today - Duration::days(1)).to_string(),
        today.to_string(),
    ]
    .iter()
    .flat_map(|day| {
        [
            format!("/api/v1/portfolio?as_of={day}&financial_year=2025-26"),
            format!("/api/v1/funding/summary?as_of={day}&group_by=programme,financial_year"),
        ]
    })
    .collect();
    paths.push("/api/v1/funding/history?limit=200".into());
    paths.push("/api/v1/audit/verify".into());
    paths
        .iter()
        .map(|path| {
            let reply = app.get(path, &auditor);
            assert_eq!(reply.status, 200, "{path}: {}", reply.text);
            reply.json()
        })
        .collect()
}

#[test]
fn a_register_copies_to_postgres_and_back_whole() {
    let source = TestDb::sqlite();
    let source_url = source.url_text.clone();
    let app = TestApp::spawn(source);
    random_writes(&app, 3_000);
    app.user("nao@audit.gov.uk", "auditor");
    let before = answers(&app);
    let counts = beacon_tests::row_counts(&mut app.db.conn());
    let dir = tempfile::tempdir().unwrap();

    let postgres = EmptyPostgres::new();
    let copied = run(
        dir.path(),
        &["--database-url", &source_url, "copy", "--to", &postgres.url],
    );
    assert!(copied.status.success(), "{}", stderr(&copied));
    assert!(stdout(&copied).contains("Copied"), "{}", stdout(&copied));
    assert!(
        stderr(&copied).contains("copied ledger_entries:"),
        "progress is shown: {}",
        stderr(&copied)
    );
    let verified = run(
        dir.path(),
        &["--database-url", &postgres.url, "audit", "verify"],
    );
    assert!(
        verified.status.success() && stdout(&verified).contains("intact:    yes"),
        "{}",
        stdout(&verified)
    );
    let on_postgres = TestApp::spawn(TestDb::existing(&postgres.url));
    assert_eq!(beacon_tests::row_counts(&mut on_postgres.db.conn()), counts);
    let moved = answers(&on_postgres);
    assert_eq!(moved.len(), before.len());
    for (a, b) in before.iter().zip(&moved) {
        assert_eq!(a, b);
    }

    // Into a database that holds anything: refused, in one line.
    let again = run(
        dir.path(),
        &["--database-url", &source_url, "copy", "--to", &postgres.url],
    );
    assert_refused(&again, "is not empty");

    // The copy takes new writes with new ids, after those it was given.
    let finance = on_postgres.token("pmo@beacon.police.uk", beacon_tests::app::PASSWORD);
    let added = on_postgres.post(&format!("{STREAM}/allocations"), &finance, json!({"programme": "hob", "financial_year": "2025-26", "amount_pence": 5, "kind": "allocation", "reason": "After the move"}));
    assert_eq!(added.status, 201, "{}", added.text);
    drop(on_postgres);

    // And back to SQLite, as an auditor's offline copy: the same again.
    let back = dir.path().join("offline.db");
    let back = back.to_str().unwrap();
    let returned = run(
        dir.path(),
        &["--database-url", &postgres.url, "copy", "--to", back],
    );
    assert!(returned.status.success(), "{}", stderr(&returned));
    let offline = TestApp::spawn(TestDb::existing(back));
    let verified = offline.get("/api/v1/audit/verify", &offline.admin()).json();
    assert_eq!(verified["intact"], true, "{verified}");
    let history = offline
        .get("/api/v1/funding/history?limit=200", &offline.admin())
        .json();
    let ids: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let before_ids: Vec<&str> = before[before.len() - 2]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        before_ids.iter().all(|id| ids.contains(id)),
        "every id survives the round trip"
    );
}
