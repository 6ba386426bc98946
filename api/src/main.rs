//! The `beacon` command: see `beacon --help`.
fn main() -> std::process::ExitCode {
    beacon_api::cli::main()
}
