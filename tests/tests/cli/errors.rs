//! Help, and bad input refused with one line that says what to fix.

use super::*;

#[test]
fn help_explains_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(dir.path(), &["--help"]);
    assert!(output.status.success());
    let text = stdout(&output);
    for command in [
        "migrate",
        "seed",
        "user",
        "portfolio",
        "report",
        "owner",
        "stream",
        "--database-url",
        "DATABASE_URL",
    ] {
        assert!(text.contains(command), "help lacks {command}:\n{text}");
    }
    let user_add = stdout(&run(dir.path(), &["user", "add", "--help"]));
    assert!(
        user_add.contains("BEACON_PASSWORD") && user_add.contains("--role"),
        "{user_add}"
    );
    let report = stdout(&run(dir.path(), &["report", "--help"]));
    for word in ["--as <EMAIL>", "--period-end", "BEACON_ALERTS", "lead"] {
        assert!(report.contains(word), "report help lacks {word}:\n{report}");
    }
    let user = stdout(&run(dir.path(), &["user", "--help"]));
    for word in ["deactivate", "activate", "reset-password"] {
        assert!(user.contains(word), "user help lacks {word}:\n{user}");
    }
    assert!(
        !dir.path().join("beacon.db").exists(),
        "help touches no database"
    );
}

#[test]
fn bad_input_gets_one_line_that_says_what_to_fix() {
    let db = TestDb::sqlite();
    let cli = Cli::seeded(&db);
    let envelope = |stream: &str, year: &str, amount: &str| {
        cli.run(&[
            "envelope",
            "set",
            "--stream",
            stream,
            "--year",
            year,
            "--amount-pence",
            amount,
        ])
    };
    let hmt = "hmt-police-technology-2024-28";
    assert_refused(
        &cli.run(&["portfolio", "--year", "2025-27"]),
        "the year after 2025 ends in 26, so write 2025-26",
    );
    assert_refused(
        &cli.run(&["portfolio", "--year", "25-26"]),
        "write it like 2025-26",
    );
    assert_refused(&envelope(hmt, "2025-26", "-100"), "cannot be negative");
    for amount in ["59.5m", "£100", "12.50", ""] {
        let output = envelope(hmt, "2025-26", amount);
        assert_refused(
            &output,
            "--amount-pence <AMOUNT_PENCE>': expected a whole number of pence, like 5950000000 for £59.5m",
        );
        assert_eq!(output.status.code(), Some(2), "a usage error");
    }
    assert_refused(
        &envelope("no-such-stream", "2025-26", "100"),
        "no funding stream has the code 'no-such-stream'",
    );
    assert_refused(
        &envelope("dpc-grant", "2023-24", "1"),
        "less than the £10,500,000.00 allocated from 'dpc-grant'",
    );
    assert_refused(
        &cli.run(&["programme", "no-such-programme"]),
        "`beacon portfolio` lists every code",
    );
    let elsewhere = |url: &str| run(cli.dir.path(), &["--database-url", url, "portfolio"]);
    let unreachable = elsewhere("postgres://postgres:secret@127.0.0.1:1/beacon");
    assert_refused(&unreachable, "cannot connect to the database");
    assert!(
        !stderr(&unreachable).contains("secret"),
        "the password never reaches the output"
    );
    assert_refused(
        &elsewhere("mysql://root@127.0.0.1/beacon"),
        "use postgres://",
    );
    assert_refused(
        &elsewhere("/no/such/folder/beacon.db"),
        "cannot connect to the database",
    );
}
