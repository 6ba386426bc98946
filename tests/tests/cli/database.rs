//! Opening, migrating, seeding and checking a database from the command line.

use super::*;

#[test]
fn on_a_fresh_machine_the_portfolio_comes_from_the_embedded_seeded_database() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(dir.path(), &["portfolio"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(dir.path().join("beacon.db").exists());
    let text = stdout(&output);
    let pnd = text
        .lines()
        .find(|l| l.contains("pnd-transformation"))
        .unwrap_or_default();
    assert!(pnd.contains("red"), "PND is Red:\n{text}");
    assert!(text.contains("Portfolio for "), "{text}");
    // A second run reuses the file without seeding again.
    let again = run(dir.path(), &["portfolio", "--year", "2024-25"]);
    assert!(again.status.success());
    assert!(stderr(&again).is_empty(), "{}", stderr(&again));
    let line = stdout(&again)
        .lines()
        .find(|l| l.contains("knife-detection"))
        .unwrap_or_default()
        .to_string();
    assert!(line.contains("£3,500,000.00"), "{line}");
}

fn seed_twice(db: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let url = db.url_text.as_str();
    let first = run(dir.path(), &["--database-url", url, "seed"]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stdout(&first).contains("Added 43 forces"),
        "{}",
        stdout(&first)
    );

    let counts = || {
        let mut conn = db.conn();
        beacon_tests::row_counts(&mut conn)
    };
    let before = counts();
    // DATABASE_URL works as well as the flag.
    let second = beacon(dir.path(), &["seed"])
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(
        stdout(&second).contains("nothing to add"),
        "{}",
        stdout(&second)
    );
    assert_eq!(counts(), before);
    assert!(
        !dir.path().join("beacon.db").exists(),
        "the URL was used, not the default file"
    );

    let portfolio = run(dir.path(), &["--database-url", url, "portfolio"]);
    let text = stdout(&portfolio);
    assert!(
        text.lines()
            .any(|l| l.contains("pnd-transformation") && l.contains("red")),
        "{text}"
    );
    let esn = stdout(&run(
        dir.path(),
        &["--database-url", url, "programme", "esn"],
    ));
    assert!(esn.contains("2017-09-30") && esn.contains("red"), "{esn}");
}

both_backends!(fn seed_loads_once(db) {
    seed_twice(db);
});

#[test]
fn migrate_prepares_an_empty_postgres_database() {
    let empty = EmptyPostgres::new();
    let dir = tempfile::tempdir().unwrap();
    let output = run(dir.path(), &["--database-url", &empty.url, "migrate"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("PostgreSQL database"),
        "{}",
        stdout(&output)
    );
    let list = run(dir.path(), &["--database-url", &empty.url, "user", "list"]);
    assert!(stdout(&list).contains("No users yet"), "{}", stdout(&list));
}

fn audit_verify_reports_intact_then_broken(db: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let url = db.url_text.as_str();
    let seeded = run(dir.path(), &["--database-url", url, "seed"]);
    assert!(seeded.status.success(), "{}", stderr(&seeded));
    let total = beacon_tests::inspect::audit_count(&mut db.conn());

    let intact = run(dir.path(), &["--database-url", url, "audit", "verify"]);
    assert!(intact.status.success(), "{}", stderr(&intact));
    let text = stdout(&intact);
    assert!(
        text.contains(&format!("checked:   {total} entries")),
        "{text}"
    );
    assert!(text.contains(&format!("head:      {total} ")), "{text}");
    assert!(text.contains("intact:    yes"), "{text}");

    db.tamper("DELETE FROM audit_log WHERE seq = 40");
    let broken = run(dir.path(), &["--database-url", url, "audit", "verify"]);
    assert_refused(&broken, "broken at sequence number 40");
    assert!(
        stdout(&broken).contains("checked:   39 entries"),
        "{}",
        stdout(&broken)
    );
}

both_backends!(fn audit_verify(db) {
    audit_verify_reports_intact_then_broken(db);
});
