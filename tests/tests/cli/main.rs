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

mod database;
mod errors;
mod funding;
mod serve;
mod users;
