//! `beacon serve` as an operator starts and stops it.

use super::*;

/// `beacon serve` as an operator runs it, on a free port.
pub(super) struct Served {
    pub(super) child: std::process::Child,
    pub(super) port: u16,
    pub(super) stdout: std::sync::mpsc::Receiver<String>,
    /// Every log line so far.
    pub(super) log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Served {
    pub(super) fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Stops the server as Ctrl-C or a service manager would, and waits for it.
    pub(super) fn stop(mut self) {
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "SIGTERM is a clean stop: {status:?}");
    }
}

pub(super) fn serve(dir: &Path, env: &[(&str, &str)]) -> Served {
    use std::io::{BufRead, BufReader};
    let mut command = beacon(dir, &["serve", "--bind", "127.0.0.1:0"]);
    command
        .env_remove("BEACON_ENV")
        .env_remove("BEACON_JWT_SECRET")
        .env_remove("BEACON_SESSION_KEY")
        .env_remove("BEACON_ADMIN_EMAIL")
        .env_remove("BEACON_ADMIN_PASSWORD")
        .env_remove("BEACON_LOG")
        .env_remove("BEACON_LOG_FORMAT");
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
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = std::sync::Arc::clone(&log);
    let err = BufReader::new(child.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in err.lines().map_while(Result::ok) {
            if let Some(port) = line
                .split("listening on http://127.0.0.1:")
                .nth(1)
                .and_then(|p| p.split(';').next())
                .and_then(|p| p.parse::<u16>().ok())
            {
                let _ = ports.send(port);
            }
            eprintln!("server: {line}");
            kept.lock().unwrap().push(line);
        }
    });
    let port = port_found
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the server never said where it listens");
    // Answering means it also handles signals: a SIGTERM before then would kill it.
    let ready = format!("http://127.0.0.1:{port}/readyz");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !http().get(&ready).call().is_ok_and(|r| r.status() == 200) {
        assert!(
            std::time::Instant::now() < deadline,
            "the server never became ready"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Served {
        child,
        port,
        stdout,
        log,
    }
}

pub(super) fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

#[test]
fn serve_creates_an_admin_once_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let served = serve(dir.path(), &[]);
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

    let docs = format!("API docs at http://127.0.0.1:{}/docs/", served.port);
    assert!(
        served.log_text().contains(&docs),
        "the start line gives the docs' URL"
    );
    served.stop();

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
        "BEACON_SESSION_KEY",
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
    let strong = "a secret of at least thirty-two bytes, for production";
    for (name, other) in [
        ("BEACON_JWT_SECRET", "BEACON_SESSION_KEY"),
        ("BEACON_SESSION_KEY", "BEACON_JWT_SECRET"),
    ] {
        for secret in [None, Some("too short")] {
            let mut command = beacon(dir.path(), &["serve", "--bind", "127.0.0.1:0"]);
            command
                .env("BEACON_ENV", "production")
                .env_remove(name)
                .env(other, strong);
            if let Some(secret) = secret {
                command.env(name, secret);
            }
            let output = command.output().unwrap();
            assert_refused(&output, name);
        }
    }
    assert!(
        !dir.path().join("beacon.db").exists(),
        "nothing is created before the settings are right"
    );
}
