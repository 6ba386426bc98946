//! The `beacon` command line: migrate, seed, manage users, inspect the portfolio.
//!
//! Every failure ends as one line on stderr that says what to fix, and a non-zero
//! exit: 2 for a command typed wrongly, 1 for anything that went wrong running it.

mod args;
mod audit;
mod commands;
mod daemons;
mod exports;
mod programmes;
mod views;

use std::process::ExitCode;

use args::{
    AuditCommand, EnvelopeCommand, ExportCommand, OwnerCommand, PortfolioArgs, ProgrammeArgs,
    ReportArgs, StreamCommand, UserCommand,
};
use beacon_db::{DatabaseUrl, DbError, PooledConnection};
use clap::{CommandFactory, Parser, Subcommand};

use crate::app::AppError;
use crate::settings::{AlertSettings, LogSettings, Settings};

#[derive(Debug, Parser)]
#[command(
    name = "beacon",
    version,
    about = "Beacon: the national register of police technology programmes in England and Wales",
    long_about = "Beacon: the national register of police technology programmes in England and Wales.\n\n\
        Programme leads report delivery confidence, the portfolio office records funding \
        streams, envelopes, allocations and spend, and auditors read the full history.\n\n\
        With no database URL, Beacon uses the SQLite file beacon.db in the working directory, \
        creating, migrating and seeding it with the public data on first use.",
    after_help = "Examples:\n  beacon portfolio\n  beacon --database-url postgres://postgres@127.0.0.1:5432/beacon migrate\n  BEACON_PASSWORD=... beacon user add --email lead@force.police.uk --role lead\n  beacon owner add --programme esn --email lead@force.police.uk\n  beacon report esn --as lead@force.police.uk --rating amber --rationale \"Supplier late\" --period-end 2026-09-30"
)]
struct Cli {
    /// Database to use: postgres://user@host:port/name, or a SQLite file path
    /// [default: beacon.db in the working directory, seeded on first use]
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,

    #[command(flatten)]
    log: LogSettings,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP API (and its documentation at /docs) until SIGTERM or Ctrl-C.
    /// Every setting is a flag here and an environment variable beside it
    Serve(Box<Settings>),
    /// Run only the alert worker: send due email alerts until stopped. `beacon serve`
    /// runs one too; run more beside it, on one PostgreSQL database, to scale out
    Worker(Box<AlertSettings>),
    /// Write the OpenAPI document for the HTTP API
    Openapi {
        /// Where to write it; `-` for standard output
        #[arg(long, default_value = "openapi/openapi.json")]
        output: String,
    },
    /// Apply any pending database migrations, then exit
    Migrate,
    /// Copy the SQLite database, as it stands at one moment, to a new file, while
    /// servers keep writing. To restore, stop Beacon and put the copy in the
    /// database's place. (PostgreSQL: use pg_dump; see the README)
    Backup {
        /// The new file to write; an existing file is never overwritten
        file: std::path::PathBuf,
    },
    /// Copy the whole register, as it stands at one moment, into a new, empty database:
    /// SQLite to PostgreSQL when outgrowing one machine, or back for an offline copy.
    /// Ids, times and the audit chain are kept exactly
    Copy {
        /// The database to copy into, migrated here; it must hold nothing yet
        #[arg(long, value_name = "DATABASE_URL")]
        to: String,
    },
    /// Load the public seed data: the 43 forces, national programmes, their published
    /// ratings, funding streams, envelopes, allocations and spend. Adds only what is
    /// missing, so running it again changes nothing
    Seed,
    /// Manage user accounts
    #[command(subcommand)]
    User(UserCommand),
    /// Print every programme, code and name, with its rating, since when, and a
    /// year's money. A year with no money names the latest year that has some
    Portfolio(PortfolioArgs),
    /// Show one programme: its details, owners, rating history and funding
    Programme(ProgrammeArgs),
    /// Report a programme's delivery confidence as a named user, with the same rules
    /// as the API: an owner whose role is lead, or an admin. A turn to Red queues an
    /// email to the owners, which the running server's alert worker sends
    Report(ReportArgs),
    /// Add or remove a programme's owners
    #[command(subcommand)]
    Owner(OwnerCommand),
    /// List funding streams and their envelopes
    #[command(subcommand)]
    Stream(StreamCommand),
    /// Manage funding envelopes
    #[command(subcommand)]
    Envelope(EnvelopeCommand),
    /// Check the audit trail
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Write the funding history, the portfolio or the funding summary to a CSV file,
    /// the same CSV the API gives
    #[command(subcommand)]
    Export(ExportCommand),
}

/// A failure while running a command, as the one line the user sees.
#[derive(Debug)]
pub(crate) struct Failure(pub String);

impl From<DbError> for Failure {
    fn from(error: DbError) -> Self {
        Failure(error.to_string())
    }
}

impl From<AppError> for Failure {
    fn from(error: AppError) -> Self {
        Failure(error.to_string())
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure(message)
    }
}

pub fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(error),
    };
    match cli.command {
        Command::Serve(settings) => return daemons::serve(cli.database_url, &cli.log, *settings),
        Command::Openapi { ref output } => return daemons::write_openapi(output),
        Command::Worker(alerts) => return daemons::worker(cli.database_url, &cli.log, *alerts),
        _ => {}
    }
    crate::telemetry::init(&cli.log, "warn");
    let mut out = String::new();
    let result = run(&mut out, cli);
    write_stdout(&out);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => fail(&message),
    }
}

/// The command line and the environment, read once. An empty variable counts as unset,
/// as env files and compose files write a setting left at its default.
fn parse() -> Result<Cli, clap::Error> {
    use clap::FromArgMatches;
    fn unset_empty(command: clap::Command) -> clap::Command {
        command
            .mut_args(|arg| match arg.get_env() {
                Some(name) if std::env::var_os(name).is_some_and(|v| v.is_empty()) => arg.env(None),
                _ => arg,
            })
            .mut_subcommands(unset_empty)
    }
    let mut matches = unset_empty(Cli::command()).try_get_matches()?;
    Cli::from_arg_matches_mut(&mut matches)
}

/// Writes the output, ignoring a reader that went away (`beacon portfolio | head`).
pub(crate) fn write_stdout(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// Help and version go to stdout as clap writes them; a value that fails validation is
/// reduced to its one line; other usage errors keep clap's usage hint.
fn usage_error(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match error.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = error.print();
            if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            }
        }
        ErrorKind::ValueValidation | ErrorKind::InvalidValue => {
            let text = error.to_string();
            let text = one_line(text.trim_start_matches("error: "));
            match setting_named_in(&error) {
                Some(variable) => eprintln!("beacon: {variable}: {text}"),
                None => eprintln!("beacon: {text}"),
            }
            ExitCode::from(2)
        }
        _ => {
            let _ = error.print();
            ExitCode::from(2)
        }
    }
}

/// The environment variable behind the flag a value error names, so that a bad value
/// set in the environment is reported under the name the operator typed.
fn setting_named_in(error: &clap::Error) -> Option<String> {
    let clap::error::ContextValue::String(flag) =
        error.get(clap::error::ContextKind::InvalidArg)?
    else {
        return None;
    };
    let long = flag.trim_start_matches("--").split([' ', '=']).next()?;
    let mut command = Cli::command();
    command.build();
    let mut commands = vec![&command];
    commands.extend(command.get_subcommands());
    commands
        .into_iter()
        .flat_map(|c| c.get_arguments())
        .find(|arg| arg.get_long() == Some(long))
        .and_then(|arg| arg.get_env())
        .map(|env| env.to_string_lossy().into_owned())
}

fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Appends a line to a command's output, which is written in one go at the end.
#[macro_export]
#[doc(hidden)]
macro_rules! outln {
    ($out:expr) => {
        $out.push('\n')
    };
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        // Writing to a String cannot fail.
        let _ = writeln!($out, $($arg)*);
    }};
}

fn run(out: &mut String, cli: Cli) -> Result<(), Failure> {
    let database = Database::open(cli.database_url.as_deref())?;
    let mut conn = database.conn()?;
    let result = command(out, &database, &mut conn, cli.command);
    // A command's audit entries join the chain before it exits, whether or not a
    // server is running to do it.
    crate::app::audit::seal(&mut conn)?;
    result
}

fn command(
    out: &mut String,
    database: &Database,
    conn: &mut PooledConnection,
    command: Command,
) -> Result<(), Failure> {
    match command {
        // Handled before a database is opened, in main.
        Command::Serve(_) | Command::Openapi { .. } | Command::Worker(_) => Ok(()),
        Command::Migrate => {
            // Opening the database already applied anything pending.
            outln!(
                out,
                "{} database at {} is up to date",
                database.url.backend_name(),
                database.url.redacted()
            );
            Ok(())
        }
        Command::Backup { file } => commands::backup(out, &database.url, conn, &file),
        Command::Copy { to } => commands::copy(out, &database.url, conn, &to),
        Command::Seed => commands::seed(out, conn),
        Command::User(user) => commands::user(out, conn, user),
        Command::Portfolio(args) => views::portfolio(out, conn, args.year),
        Command::Programme(args) => views::programme(out, conn, &args.code),
        Command::Report(args) => programmes::report(out, conn, args),
        Command::Owner(OwnerCommand::Add(args)) => programmes::owner_add(out, conn, &args),
        Command::Owner(OwnerCommand::Remove(args)) => programmes::owner_remove(out, conn, &args),
        Command::Stream(StreamCommand::List) => views::stream_list(out, conn),
        Command::Envelope(EnvelopeCommand::Set {
            stream,
            year,
            amount_pence,
            basis,
        }) => commands::envelope_set(out, conn, &stream, year, amount_pence, &basis),
        Command::Audit(AuditCommand::Verify(args)) => audit::verify(out, conn, &args),
        Command::Audit(AuditCommand::Checkpoint(key)) => audit::checkpoint(out, conn, &key),
        Command::Export(ExportCommand::History(args)) => exports::history(out, conn, args),
        Command::Export(ExportCommand::Portfolio(args)) => exports::portfolio(out, conn, args),
        Command::Export(ExportCommand::Summary(args)) => exports::summary(out, conn, args),
    }
}

struct Database {
    url: DatabaseUrl,
    pool: beacon_db::Pool,
}

impl Database {
    fn open(url: Option<&str>) -> Result<Self, Failure> {
        let opened = crate::database::open(url)?;
        if let Some(added) = &opened.seeded {
            eprintln!(
                "beacon: created {} and loaded {} records of public seed data",
                crate::database::DEFAULT_DATABASE,
                added.total()
            );
        }
        Ok(Database {
            url: opened.url,
            pool: opened.pool,
        })
    }

    fn conn(&self) -> Result<PooledConnection, Failure> {
        self.pool.get().map_err(|e| Failure::from(DbError::from(e)))
    }
}

pub(crate) fn fail(message: &str) -> ExitCode {
    eprintln!("beacon: {}", one_line(message));
    ExitCode::FAILURE
}
