//! The `beacon` command as a user runs it: a real process, real databases.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use beacon_tests::{EmptyPostgres, TestDb, both_backends};

fn beacon(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_beacon-under-test"));
    command
        .current_dir(dir)
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("BEACON_PASSWORD")
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null());
    command
}

fn run(dir: &Path, args: &[&str]) -> Output {
    beacon(dir, args).output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A refusal a user can act on: non-zero exit, one line on stderr naming the fix,
/// and no panic or backtrace even with RUST_BACKTRACE set.
fn assert_refused(output: &Output, hint: &str) {
    let err = stderr(output);
    assert!(
        !output.status.success(),
        "expected failure, got success: {err}"
    );
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line expected, got:\n{err}"
    );
    assert!(err.starts_with("beacon: "), "{err}");
    assert!(err.contains(hint), "expected '{hint}' in: {err}");
    for word in ["panicked", "backtrace", "RUST_BACKTRACE"] {
        assert!(!err.contains(word), "{err}");
    }
}

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
    assert!(
        !dir.path().join("beacon.db").exists(),
        "help touches no database"
    );
}

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

fn users_are_added_and_listed(db: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let url = db.url_text.as_str();
    let add = |email: &str, role: &str, password: Option<&str>| {
        let mut command = beacon(
            dir.path(),
            &[
                "--database-url",
                url,
                "user",
                "add",
                "--email",
                email,
                "--role",
                role,
            ],
        );
        if let Some(password) = password {
            command.env("BEACON_PASSWORD", password);
        }
        command.output().unwrap()
    };
    let created = add(
        "Lead@Norfolk.Police.UK",
        "lead",
        Some("a long enough password"),
    );
    assert!(created.status.success(), "{}", stderr(&created));
    assert!(stdout(&created).contains("lead@norfolk.police.uk"));

    assert_refused(
        &add(
            "lead@norfolk.police.uk",
            "admin",
            Some("a long enough password"),
        ),
        "already exists",
    );
    assert_refused(
        &add("new@norfolk.police.uk", "admin", Some("short")),
        "at least 12 characters",
    );
    assert_refused(
        &add("new@norfolk.police.uk", "admin", None),
        "BEACON_PASSWORD",
    );
    assert_refused(
        &add(
            "new@norfolk.police.uk",
            "superuser",
            Some("a long enough password"),
        ),
        "use one of: admin, finance, lead, auditor, viewer",
    );
    assert_refused(
        &add("not-an-email", "admin", Some("a long enough password")),
        "not an email address",
    );

    let list = stdout(&run(dir.path(), &["--database-url", url, "user", "list"]));
    assert!(
        list.contains("lead@norfolk.police.uk") && list.contains("lead"),
        "{list}"
    );
    assert!(!list.contains("argon2"), "hashes are never shown");
    assert_eq!(beacon_db::users::list(&mut db.conn()).unwrap().len(), 1);
    let email = beacon_core::Email::parse("lead@norfolk.police.uk").unwrap();
    let stored = beacon_db::users::credentials(&mut db.conn(), &email)
        .unwrap()
        .unwrap();
    assert!(stored.password_hash.starts_with("$argon2id$"));
    assert!(beacon_api::password::verify(
        "a long enough password",
        &stored.password_hash
    ));
}

both_backends!(fn users(db) {
    users_are_added_and_listed(db);
});

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

#[test]
fn an_envelope_set_from_the_command_line_is_stored_and_audited() {
    let db = TestDb::postgres();
    let dir = tempfile::tempdir().unwrap();
    let url = db.url_text.as_str();
    assert!(
        run(dir.path(), &["--database-url", url, "seed"])
            .status
            .success()
    );
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
            "0",
            "--basis",
            "NAO: stream cut from 2025-26",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("2025-26: £0.00"),
        "{}",
        stdout(&output)
    );
    let mut conn = db.conn();
    let trail = beacon_tests::inspect::audit_for(
        &mut conn,
        "envelope",
        "hmt-police-technology-2024-28/2025-26",
    );
    assert_eq!(trail.last().unwrap().actor, "beacon envelope set");
    assert!(
        trail
            .last()
            .unwrap()
            .after
            .as_deref()
            .unwrap()
            .contains("NAO: stream cut")
    );
}

/// `beacon serve` as an operator runs it, on a free port.
struct Served {
    child: std::process::Child,
    port: u16,
    stdout: std::sync::mpsc::Receiver<String>,
}

fn serve(dir: &Path, env: &[(&str, &str)]) -> Served {
    use std::io::{BufRead, BufReader};
    let mut command = beacon(dir, &["serve", "--bind", "127.0.0.1:0"]);
    command
        .env_remove("BEACON_ENV")
        .env_remove("BEACON_JWT_SECRET")
        .env_remove("BEACON_ADMIN_EMAIL")
        .env_remove("BEACON_ADMIN_PASSWORD");
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, stdout) = std::sync::mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    // Keep reading the log to the end, as a terminal or journald would.
    let (ports, port_found) = std::sync::mpsc::channel();
    let err = BufReader::new(child.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in err.lines().map_while(Result::ok) {
            if let Some(port) = line
                .split("port=")
                .nth(1)
                .and_then(|p| p.trim().parse::<u16>().ok())
            {
                let _ = ports.send(port);
            }
            eprintln!("server: {line}");
        }
    });
    let port = port_found
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the server never said where it listens");
    Served {
        child,
        port,
        stdout,
    }
}

fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

#[test]
fn serve_creates_an_admin_once_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut served = serve(dir.path(), &[]);
    let mut printed = Vec::new();
    while let Ok(line) = served
        .stdout
        .recv_timeout(std::time::Duration::from_secs(5))
    {
        printed.push(line);
        if printed.len() == 2 {
            break;
        }
    }
    assert_eq!(
        printed[0], "Created the first admin account: admin@beacon.local",
        "{printed:?}"
    );
    let password = printed[1].rsplit(' ').next().unwrap().to_string();
    let base = format!("http://127.0.0.1:{}", served.port);
    let mut reply = http()
        .post(format!("{base}/api/v1/auth/token"))
        .send_json(serde_json::json!({"email": "admin@beacon.local", "password": password}))
        .unwrap();
    assert_eq!(
        reply.status(),
        200,
        "{}",
        reply.body_mut().read_to_string().unwrap()
    );
    let ready = http().get(format!("{base}/readyz")).call().unwrap();
    assert_eq!(ready.status(), 200);

    let killed = Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = served.child.wait().unwrap();
    assert!(status.success(), "SIGTERM is a clean stop: {status:?}");

    // The second start finds the admin and prints no password.
    let mut again = serve(dir.path(), &[]);
    assert!(
        again
            .stdout
            .recv_timeout(std::time::Duration::from_millis(500))
            .is_err()
    );
    let _ = again.child.kill();
    let _ = again.child.wait();
}

#[test]
fn serve_help_lists_every_setting_with_its_default() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(dir.path(), &["serve", "--help"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for variable in [
        "DATABASE_URL",
        "BEACON_BIND",
        "BEACON_ENV",
        "BEACON_JWT_SECRET",
        "BEACON_ADMIN_EMAIL",
        "BEACON_ADMIN_PASSWORD",
        "BEACON_TOKEN_TTL_SECONDS",
        "BEACON_WORKERS",
        "BEACON_LOG",
        "BEACON_LOG_FORMAT",
        "BEACON_ALERTS",
        "BEACON_SMTP_URL",
        "BEACON_MAIL_FROM",
        "BEACON_PUBLIC_URL",
        "BEACON_ALERT_DIR",
        "BEACON_ALERT_EXTRA_RECIPIENTS",
        "BEACON_ALERT_MAX_ATTEMPTS",
        "BEACON_ALERT_LEASE_SECONDS",
        "BEACON_ALERT_POLL_MS",
        "BEACON_ALERT_BACKOFF_MS",
        "BEACON_ALERT_BATCH",
        "BEACON_REPORT_CADENCE_DAYS",
    ] {
        assert!(
            text.contains(&format!("[env: {variable}")),
            "help lacks {variable}:\n{text}"
        );
    }
    for default in [
        "[default: 127.0.0.1:8080]",
        "[default: 3600]",
        "[default: on]",
        "[default: 35]",
    ] {
        assert!(text.contains(default), "help lacks {default}:\n{text}");
    }
}

#[test]
fn a_bad_setting_is_refused_by_its_variable_and_an_empty_one_is_unset() {
    let dir = tempfile::tempdir().unwrap();
    let output = beacon(dir.path(), &["serve"])
        .env("BEACON_ALERT_BATCH", "1000")
        .output()
        .unwrap();
    assert_refused(&output, "BEACON_ALERT_BATCH");
    assert!(stderr(&output).contains("1000"), "{}", stderr(&output));
    let output = beacon(dir.path(), &["serve"])
        .env(
            "BEACON_ALERT_EXTRA_RECIPIENTS",
            "pmo@homeoffice.gov.uk, the office",
        )
        .output()
        .unwrap();
    assert_refused(&output, "BEACON_ALERT_EXTRA_RECIPIENTS");
    // Empty, as env files and compose write a setting left at its default: the
    // defaults apply, and only the missing secret stops a production start.
    let mut command = beacon(dir.path(), &["serve"]);
    for variable in [
        "BEACON_BIND",
        "BEACON_ALERT_BATCH",
        "BEACON_JWT_SECRET",
        "BEACON_ADMIN_EMAIL",
    ] {
        command.env(variable, "");
    }
    let output = command.env("BEACON_ENV", "production").output().unwrap();
    assert_refused(&output, "BEACON_ENV=production needs BEACON_JWT_SECRET");
    assert!(!dir.path().join("beacon.db").exists());
}

#[test]
fn production_refuses_to_start_without_a_strong_secret() {
    let dir = tempfile::tempdir().unwrap();
    for secret in [None, Some("too short")] {
        let mut command = beacon(dir.path(), &["serve", "--bind", "127.0.0.1:0"]);
        command
            .env("BEACON_ENV", "production")
            .env_remove("BEACON_JWT_SECRET");
        if let Some(secret) = secret {
            command.env("BEACON_JWT_SECRET", secret);
        }
        let output = command.output().unwrap();
        assert_refused(&output, "BEACON_JWT_SECRET");
    }
    assert!(
        !dir.path().join("beacon.db").exists(),
        "nothing is created before the settings are right"
    );
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
