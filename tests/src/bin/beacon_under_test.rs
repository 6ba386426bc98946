//! The `beacon` command, exactly as api/src/main.rs builds it.
fn main() -> std::process::ExitCode {
    beacon_api::cli::main()
}
