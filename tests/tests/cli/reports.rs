//! Status reports made from the command line as a named user, and the alerts they
//! write for the running server's worker to send.

use super::*;

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

fn report(cli: &Cli, code: &str, by: &str, rating: &str, rationale: &str) -> Output {
    let today = today();
    cli.run(&[
        "report",
        code,
        "--as",
        by,
        "--rating",
        rating,
        "--rationale",
        rationale,
        "--period-end",
        &today,
    ])
}

fn reports_in(db: &TestDb) -> i64 {
    beacon_tests::inspect::count_where(&mut db.conn(), "status_reports", "1 = 1")
}

fn a_lead_reports_as_themselves_and_owners_hear_of_red(db: &TestDb) {
    let cli = Cli::seeded(db);
    let lead = "lead@norfolk.police.uk";
    cli.add_user(lead, "lead");
    cli.ok(&["owner", "add", "--programme", "ccd", "--email", lead]);

    let amber = report(&cli, "ccd", lead, "amber", "Supplier six weeks late");
    assert!(amber.status.success(), "{}", stderr(&amber));
    let text = stdout(&amber);
    assert!(
        text.contains("Recorded amber for Communications Capabilities Development"),
        "{text}"
    );
    assert!(text.contains("(ccd), was green"), "{text}");
    assert!(text.contains("by lead@norfolk.police.uk"), "{text}");
    assert!(!text.contains("emailed"), "no alert for amber: {text}");
    let entry = beacon_tests::inspect::audit_latest(&mut db.conn(), 10)
        .into_iter()
        .find(|e| e.entity == "status_report")
        .unwrap();
    assert_eq!(entry.actor, lead, "the audit trail names the person");
    assert_eq!(entry.actor_id, Some(user_id(db, lead)));

    let red = report(
        &cli,
        "ccd",
        lead,
        "red",
        "Supplier gone into administration",
    );
    let text = stdout(&red);
    assert!(
        text.contains("It turned Red: its owners will be emailed (1 alert queued"),
        "{text}"
    );
    assert_eq!(
        beacon_tests::inspect::alerts_in(&mut db.conn(), "pending"),
        1
    );

    // The worker a server runs sends it to the owner.
    let sent = sent_by_a_worker(&cli);
    assert!(sent.contains("To: lead@norfolk.police.uk"), "{sent}");
    assert!(sent.contains("ccd"), "{sent}");
    let back = report(&cli, "ccd", lead, "amber", "Contingency supplier signed");
    assert!(stdout(&back).contains("It left Red"), "{}", stdout(&back));
}

both_backends!(fn red_reported_as_a_lead(db) {
    a_lead_reports_as_themselves_and_owners_hear_of_red(db);
});

/// Runs `beacon worker` until it has written an alert as a file, and returns it.
fn sent_by_a_worker(cli: &Cli) -> String {
    let folder = cli.dir.path().join("sent");
    let mut worker = cli
        .command(&["worker", "--alert-poll-ms", "50"])
        .env("BEACON_ALERT_DIR", &folder)
        .env_remove("BEACON_SMTP_URL")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let file = loop {
        let found = std::fs::read_dir(&folder)
            .into_iter()
            .flatten()
            .flatten()
            .find(|f| f.path().extension().is_some_and(|e| e == "eml"));
        if let Some(file) = found {
            break file.path();
        }
        assert!(std::time::Instant::now() < deadline, "no alert was sent");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let _ = worker.kill();
    let _ = worker.wait();
    std::fs::read_to_string(file).unwrap()
}

fn reports_are_refused_with_what_to_fix(db: &TestDb) {
    let cli = Cli::seeded(db);
    let (lead, viewer, admin) = (
        "lead@norfolk.police.uk",
        "viewer@norfolk.police.uk",
        "admin@norfolk.police.uk",
    );
    cli.add_user(lead, "lead");
    cli.add_user(viewer, "viewer");
    cli.add_user(admin, "admin");
    cli.ok(&["owner", "add", "--programme", "ccd", "--email", viewer]);
    let before = reports_in(db);

    let why = "Supplier late";
    assert_refused(
        &report(&cli, "ccd", viewer, "amber", why),
        "as viewer@norfolk.police.uk: reporting status needs the role admin or lead; you are viewer",
    );
    assert_refused(
        &report(&cli, "ccd", lead, "amber", why),
        "only the programme's owners may report on 'ccd', and you are not one; `beacon owner add --programme ccd --email lead@norfolk.police.uk` makes them one",
    );
    assert_refused(
        &report(&cli, "ccd", "nobody@norfolk.police.uk", "amber", why),
        "--as: no user has the email nobody@norfolk.police.uk; `beacon user list` lists every user",
    );
    assert_refused(
        &report(&cli, "no-such", admin, "amber", why),
        "no programme has the code 'no-such'; `beacon portfolio` lists every code",
    );
    assert_refused(
        &report(&cli, "ccd", admin, "amber", ""),
        "--rationale: an amber rating needs a rationale",
    );
    let future = cli.run(&[
        "report",
        "ccd",
        "--as",
        admin,
        "--rating",
        "green",
        "--period-end",
        "2999-03-31",
    ]);
    assert_refused(&future, "--period-end");
    let typo = report(&cli, "ccd", admin, "purple", why);
    assert_refused(
        &typo,
        "use one of: red, amber_red, amber, amber_green, green",
    );
    assert_eq!(typo.status.code(), Some(2), "a usage error");
    cli.ok(&["owner", "add", "--programme", "ccd", "--email", lead]);
    cli.ok(&["user", "deactivate", "--email", lead]);
    assert_refused(
        &report(&cli, "ccd", lead, "amber", why),
        "--as: lead@norfolk.police.uk's account is deactivated; `beacon user activate --email lead@norfolk.police.uk`",
    );
    assert_eq!(reports_in(db), before, "nothing refused was recorded");

    // An admin reports on any programme; with alerts off, or no owners, nobody is told.
    let off = cli
        .command(&[
            "report",
            "dpc",
            "--as",
            admin,
            "--rating",
            "red",
            "--rationale",
            why,
            "--period-end",
            &today(),
        ])
        .env("BEACON_ALERTS", "off")
        .output()
        .unwrap();
    assert!(off.status.success(), "{}", stderr(&off));
    assert!(stdout(&off).contains("alerts are off"), "{}", stdout(&off));
    let unowned = stdout(&report(&cli, "knife-detection", admin, "red", why));
    assert!(
        unowned.contains("it has no active owners to email"),
        "{unowned}"
    );
    assert_eq!(
        beacon_tests::inspect::alerts_in(&mut db.conn(), "pending"),
        0
    );
}

both_backends!(fn refused_reports(db) {
    reports_are_refused_with_what_to_fix(db);
});
