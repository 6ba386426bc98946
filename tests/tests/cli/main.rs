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

/// The binary on one database, run from a working directory of its own.
struct Cli {
    dir: tempfile::TempDir,
    url: String,
}

impl Cli {
    /// On `db` as it is.
    fn on(db: &TestDb) -> Self {
        Cli {
            dir: tempfile::tempdir().unwrap(),
            url: db.url_text.clone(),
        }
    }

    /// On `db`, loaded with the public seed data.
    fn seeded(db: &TestDb) -> Self {
        let cli = Cli::on(db);
        cli.ok(&["seed"]);
        cli
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = beacon(self.dir.path(), &["--database-url", &self.url]);
        command.args(args);
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs a command that must succeed, and returns what it printed.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "{args:?} failed: {}",
            stderr(&output)
        );
        stdout(&output)
    }

    /// Runs a command with BEACON_PASSWORD set, as a script would.
    fn with_password(&self, args: &[&str], password: &str) -> Output {
        self.command(args)
            .env("BEACON_PASSWORD", password)
            .output()
            .unwrap()
    }

    /// Adds a user with a valid password.
    fn add_user(&self, email: &str, role: &str) {
        let output =
            self.with_password(&["user", "add", "--email", email, "--role", role], PASSWORD);
        assert!(output.status.success(), "{}", stderr(&output));
    }
}

const PASSWORD: &str = "a long enough password";

/// A stored user's id, by email.
fn user_id(db: &TestDb, email: &str) -> i64 {
    let email = beacon_core::Email::parse(email).unwrap();
    beacon_db::users::find_by_email(&mut db.conn(), &email)
        .unwrap()
        .unwrap()
        .id
}

mod backup;
mod copy;
mod database;
mod deploy;
mod errors;
mod exports;
mod funding;
mod portfolio;
mod programmes;
mod replicas;
mod reports;
mod serve;
mod users;
mod walkthrough;
