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
    let dir = tempfile::tempdir().unwrap();
    let url = db.url_text.as_str();
    assert!(
        run(dir.path(), &["--database-url", url, "seed"])
            .status
            .success()
    );

    assert_refused(
        &run(
            dir.path(),
            &["--database-url", url, "portfolio", "--year", "2025-27"],
        ),
        "so write 2025-26",
    );
    assert_refused(
        &run(
            dir.path(),
            &["--database-url", url, "portfolio", "--year", "25-26"],
        ),
        "write it like 2025-26",
    );
    assert_refused(
        &run(
            dir.path(),
            &[
                "--database-url",
                url,
                "envelope",
                "set",
                "--stream",
                "hmt-police-technology-2024-28",
                "--year",
                "2025-26",
                "--amount-pence",
                "-100",
            ],
        ),
        "cannot be negative",
    );
    for amount in ["59.5m", "£100", "12.50", ""] {
        let output = run(
            dir.path(),
            &[
                "--database-url",
                url,
                "envelope",
                "set",
                "--stream",
                "hmt-police-technology-2024-28",
                "--year",
                "2025-26",
                "--amount-pence",
                amount,
            ],
        );
        assert_refused(
            &output,
            "--amount-pence <AMOUNT_PENCE>': expected a whole number of pence, like 5950000000 for £59.5m",
        );
        assert_eq!(output.status.code(), Some(2), "a usage error");
    }
    assert_refused(
        &run(
            dir.path(),
            &[
                "--database-url",
                url,
                "envelope",
                "set",
                "--stream",
                "no-such-stream",
                "--year",
                "2025-26",
                "--amount-pence",
                "100",
            ],
        ),
        "no funding stream has the code 'no-such-stream'",
    );
    assert_refused(
        &run(
            dir.path(),
            &[
                "--database-url",
                url,
                "envelope",
                "set",
                "--stream",
                "dpc-grant",
                "--year",
                "2023-24",
                "--amount-pence",
                "1",
            ],
        ),
        "less than the £10,500,000.00 allocated from 'dpc-grant'",
    );
    assert_refused(
        &run(
            dir.path(),
            &["--database-url", url, "programme", "no-such-programme"],
        ),
        "`beacon portfolio` lists every code",
    );
    assert_refused(
        &run(
            dir.path(),
            &[
                "--database-url",
                "postgres://postgres:secret@127.0.0.1:1/beacon",
                "portfolio",
            ],
        ),
        "cannot connect to the database",
    );
    let leaked = run(
        dir.path(),
        &[
            "--database-url",
            "postgres://postgres:secret@127.0.0.1:1/beacon",
            "portfolio",
        ],
    );
    assert!(
        !stderr(&leaked).contains("secret"),
        "the password never reaches the output"
    );
    assert_refused(
        &run(
            dir.path(),
            &[
                "--database-url",
                "mysql://root@127.0.0.1/beacon",
                "portfolio",
            ],
        ),
        "use postgres://",
    );
    assert_refused(
        &run(
            dir.path(),
            &["--database-url", "/no/such/folder/beacon.db", "portfolio"],
        ),
        "cannot connect to the database",
    );
}
