//! The `beacon` command line: migrate, seed, manage users, inspect the portfolio.
//!
//! Every failure ends as one line on stderr that says what to fix, and a non-zero
//! exit: 2 for a command typed wrongly, 1 for anything that went wrong running it.

use std::io::IsTerminal;
use std::process::ExitCode;

use beacon_core::{Email, Envelope, FinancialYear, Pence, Role, user::validate_password};
use beacon_db::{Actor, DatabaseUrl, DbError, PooledConnection};
use clap::{Args, CommandFactory, Parser, Subcommand};
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets};

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
    after_help = "Examples:\n  beacon portfolio\n  beacon --database-url postgres://postgres@127.0.0.1:5432/beacon migrate\n  BEACON_PASSWORD=... beacon user add --email lead@force.police.uk --role lead"
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
    /// Load the public seed data: the 43 forces, national programmes, their published
    /// ratings, funding streams, envelopes, allocations and spend. Adds only what is
    /// missing, so running it again changes nothing
    Seed,
    /// Manage user accounts
    #[command(subcommand)]
    User(UserCommand),
    /// Print every programme with its rating, since when, and this year's money
    Portfolio(PortfolioArgs),
    /// Show one programme: its details, rating history and funding
    Programme(ProgrammeArgs),
    /// Manage funding envelopes
    #[command(subcommand)]
    Envelope(EnvelopeCommand),
    /// Check the audit trail
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Recompute the audit trail's hash chain: how many entries check out, the head
    /// hash, and the first sequence number that does not. Exits 1 when it is broken
    Verify,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user. The password is asked for at the prompt, or read from
    /// BEACON_PASSWORD when there is no terminal; it is never a flag
    Add {
        /// The user's email address, which they sign in with
        #[arg(long, value_parser = parse_email)]
        email: Email,
        /// What the user may do: admin, finance, lead, auditor or viewer
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// List every user with their role and whether they are active
    List,
}

#[derive(Debug, Args)]
struct PortfolioArgs {
    /// The financial year to show money for, like 2025-26 [default: the current one]
    #[arg(long, value_parser = parse_year)]
    year: Option<FinancialYear>,
}

#[derive(Debug, Args)]
struct ProgrammeArgs {
    /// The programme's code, as `beacon portfolio` lists it, e.g. pnd-transformation
    code: String,
}

#[derive(Debug, Subcommand)]
enum EnvelopeCommand {
    /// Set how much a funding stream may allocate in one financial year
    Set {
        /// The funding stream's code, e.g. hmt-police-technology-2024-28
        #[arg(long)]
        stream: String,
        /// The financial year, like 2025-26
        #[arg(long, value_parser = parse_year)]
        year: FinancialYear,
        /// The envelope in pence (whole number, zero or more): £59.5m is 5950000000
        #[arg(long, allow_negative_numbers = true)]
        amount_pence: i64,
        /// Where the figure comes from, e.g. "Spending Review 2025 settlement letter"
        #[arg(long, default_value = "set with beacon envelope set")]
        basis: String,
    },
}

fn parse_email(value: &str) -> Result<Email, String> {
    Email::parse(value).map_err(|e| e.to_string())
}

fn parse_role(value: &str) -> Result<Role, String> {
    value
        .parse()
        .map_err(|e: beacon_core::ParseEnumError| e.to_string())
}

fn parse_year(value: &str) -> Result<FinancialYear, String> {
    value
        .parse()
        .map_err(|e: beacon_core::FinancialYearError| e.to_string())
}

/// A failure while running a command, as the one line the user sees.
#[derive(Debug)]
struct Failure(String);

impl From<DbError> for Failure {
    fn from(error: DbError) -> Self {
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
        Command::Serve(settings) => return serve(cli.database_url, &cli.log, *settings),
        Command::Openapi { ref output } => return write_openapi(output),
        Command::Worker(alerts) => return worker(cli.database_url, &cli.log, *alerts),
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
fn write_stdout(text: &str) {
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
    beacon_db::audit::seal(&mut conn)?;
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
        Command::Seed => {
            let added = beacon_db::seed::run(conn)?;
            print_seeded(out, &added);
            Ok(())
        }
        Command::User(UserCommand::Add { email, role }) => user_add(out, conn, &email, role),
        Command::User(UserCommand::List) => user_list(out, conn),
        Command::Portfolio(args) => portfolio(out, conn, args.year),
        Command::Programme(args) => programme_show(out, conn, &args.code),
        Command::Envelope(EnvelopeCommand::Set {
            stream,
            year,
            amount_pence,
            basis,
        }) => envelope_set(out, conn, &stream, year, amount_pence, &basis),
        Command::Audit(AuditCommand::Verify) => audit_verify(out, conn),
    }
}

fn audit_verify(out: &mut String, conn: &mut PooledConnection) -> Result<(), Failure> {
    let started = std::time::Instant::now();
    let check = beacon_db::audit::verify(conn)?;
    outln!(
        out,
        "checked:   {} entries in {:.1} s",
        check.checked,
        started.elapsed().as_secs_f64()
    );
    match (&check.head_seq, &check.head_hash) {
        (Some(seq), Some(hash)) => outln!(out, "head:      {seq} {hash}"),
        _ => outln!(out, "head:      none (the trail is empty)"),
    }
    if check.unchained > 0 {
        outln!(
            out,
            "unchained: {} entries were taken out of the chain (a hash but no sequence number)",
            check.unchained
        );
    }
    match &check.first_break {
        None if check.unchained == 0 => {
            outln!(out, "intact:    yes");
            Ok(())
        }
        None => Err(Failure(format!(
            "the audit trail is not intact: {} entries were taken out of the chain",
            check.unchained
        ))),
        Some((seq, problem)) => {
            outln!(
                out,
                "intact:    no; first broken at sequence number {seq}: {problem}"
            );
            Err(Failure(format!(
                "the audit trail is broken at sequence number {seq}: {problem}"
            )))
        }
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

/// Runs the server in the foreground until it is told to stop.
fn serve(database_url: Option<String>, log: &LogSettings, mut settings: Settings) -> ExitCode {
    crate::telemetry::init(log, "info");
    settings.database_url = database_url;
    let result = actix_web::rt::System::new().block_on(async move {
        let app = crate::startup::Application::build(settings).map_err(|e| e.to_string())?;
        tracing::info!(port = app.port(), "Beacon is listening; API docs at /docs");
        app.run_until_stopped().await.map_err(|e| e.to_string())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

/// The alert worker alone, in the foreground, until SIGTERM or Ctrl-C: then it finishes
/// the alert in hand and exits. A worker killed outright (SIGKILL, a crash) leaves its
/// claimed alerts to be sent by another once their lease ends.
fn worker(database_url: Option<String>, log: &LogSettings, alerts: AlertSettings) -> ExitCode {
    crate::telemetry::init(log, "info");
    if !alerts.enabled {
        return fail("BEACON_ALERTS is off: there is nothing for a worker to do");
    }
    let opened = match crate::database::open(database_url.as_deref()) {
        Ok(opened) => opened,
        Err(error) => return fail(&error.to_string()),
    };
    let worker = match crate::alert_worker::Worker::new(opened.pool, alerts, &opened.url) {
        Ok(worker) => worker,
        Err(error) => return fail(&error.to_string()),
    };
    eprintln!(
        "beacon: alert worker {} sending {} from the {} database at {}",
        worker.id(),
        worker.describe(),
        opened.url.backend_name(),
        opened.url.redacted()
    );
    let handle = match crate::alert_worker::WorkerHandle::spawn(worker) {
        Ok(handle) => handle,
        Err(error) => return fail(&format!("cannot start the alert worker: {error}")),
    };
    let stopped = actix_web::rt::System::new().block_on(stop_signal());
    if let Err(error) = stopped {
        return fail(&format!("cannot wait for a stop signal: {error}"));
    }
    eprintln!("beacon: stopping the alert worker after the alert in hand");
    drop(handle);
    ExitCode::SUCCESS
}

/// Waits for SIGTERM (what service managers send) or SIGINT (Ctrl-C).
async fn stop_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use actix_web::rt::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::select! {
            _ = terminate.recv() => Ok(()),
            result = actix_web::rt::signal::ctrl_c() => result,
        }
    }
    #[cfg(not(unix))]
    {
        actix_web::rt::signal::ctrl_c().await
    }
}

fn write_openapi(output: &str) -> ExitCode {
    let document = match crate::startup::openapi().to_pretty_json() {
        Ok(json) => json + "\n",
        Err(e) => return fail(&format!("cannot render the OpenAPI document: {e}")),
    };
    if output == "-" {
        write_stdout(&document);
        return ExitCode::SUCCESS;
    }
    match std::fs::write(output, document) {
        Ok(()) => {
            println!("Wrote {output}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&format!("cannot write {output}: {e}")),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("beacon: {}", one_line(message));
    ExitCode::FAILURE
}

fn print_seeded(out: &mut String, added: &beacon_db::seed::Added) {
    if added.total() == 0 {
        outln!(out, "Seed data already loaded: nothing to add");
        return;
    }
    outln!(
        out,
        "Added {} forces, {} programmes, {} status reports, {} funding streams, {} envelopes, {} allocations, {} spend entries",
        added.forces,
        added.programmes,
        added.status_reports,
        added.funding_streams,
        added.envelopes,
        added.allocations,
        added.spend
    );
}

fn user_add(
    out: &mut String,
    conn: &mut PooledConnection,
    email: &Email,
    role: Role,
) -> Result<(), Failure> {
    let password = read_password()?;
    validate_password(&password)?;
    let hash = crate::password::hash(&password).map_err(|e| Failure(e.to_string()))?;
    let user =
        beacon_db::users::create(conn, &Actor::system("beacon user add"), email, role, &hash)?;
    outln!(
        out,
        "Created user {} ({}) with id {}",
        user.email,
        user.role,
        user.id
    );
    Ok(())
}

/// From the prompt when a person is at a terminal, else from BEACON_PASSWORD.
fn read_password() -> Result<String, Failure> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")
            .map_err(|e| Failure(format!("cannot read the password: {e}")))?;
        let second = rpassword::prompt_password("Password again: ")
            .map_err(|e| Failure(format!("cannot read the password: {e}")))?;
        if first != second {
            return Err(Failure(
                "the two passwords differ; run the command again".into(),
            ));
        }
        Ok(first)
    } else {
        std::env::var("BEACON_PASSWORD").map_err(|_| {
            Failure(
                "no terminal to ask for a password: set BEACON_PASSWORD to the new user's password"
                    .into(),
            )
        })
    }
}

fn user_list(out: &mut String, conn: &mut PooledConnection) -> Result<(), Failure> {
    let users = beacon_db::users::list(conn)?;
    if users.is_empty() {
        outln!(
            out,
            "No users yet: add one with `beacon user add --email ... --role admin`"
        );
        return Ok(());
    }
    let mut table = new_table(&["Id", "Email", "Role", "Active", "Created (UTC)"]);
    for user in users {
        table.add_row(vec![
            Cell::new(user.id).set_alignment(CellAlignment::Right),
            Cell::new(&user.email),
            Cell::new(&user.role),
            Cell::new(if user.active { "yes" } else { "no" }),
            Cell::new(user.created_at.format("%Y-%m-%d %H:%M")),
        ]);
    }
    outln!(out, "{table}");
    Ok(())
}

/// A table that wraps long text to the terminal, or to 120 columns when the output is
/// piped and there is no terminal to measure.
fn new_table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec());
    if !std::io::stdout().is_terminal() {
        table.set_width(120);
    }
    table
}

fn money(pence: Pence) -> Cell {
    Cell::new(pence).set_alignment(CellAlignment::Right)
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

fn portfolio(
    out: &mut String,
    conn: &mut PooledConnection,
    year: Option<FinancialYear>,
) -> Result<(), Failure> {
    let year = match year {
        Some(year) => year,
        None => FinancialYear::containing(today()).map_err(|e| Failure(e.to_string()))?,
    };
    let lines = beacon_db::portfolio::for_year(conn, year)?;
    outln!(
        out,
        "Portfolio for {year} ({} to {}): {} programmes",
        year.first_day().format("%-d %B %Y"),
        year.last_day().format("%-d %B %Y"),
        lines.len()
    );
    let mut table = new_table(&[
        "Programme",
        "Rating",
        "Since",
        "Allocated",
        "Spent (run)",
        "Spent (change)",
    ]);
    for line in &lines {
        table.add_row(vec![
            Cell::new(&line.code),
            Cell::new(line.rating.map_or("not rated", |r| r.as_str())),
            Cell::new(
                line.rating_since
                    .map_or(String::new(), |s| s.format("%Y-%m-%d").to_string()),
            ),
            money(line.allocated),
            money(line.spent_run),
            money(line.spent_change),
        ]);
    }
    let total = |f: fn(&beacon_db::portfolio::PortfolioLine) -> Pence| {
        Pence::sum(lines.iter().map(f)).map_err(|e| Failure(e.to_string()))
    };
    table.add_row(vec![
        Cell::new("Total"),
        Cell::new(""),
        Cell::new(""),
        money(total(|l| l.allocated)?),
        money(total(|l| l.spent_run)?),
        money(total(|l| l.spent_change)?),
    ]);
    outln!(out, "{table}");
    Ok(())
}

fn programme_show(
    out: &mut String,
    conn: &mut PooledConnection,
    code: &str,
) -> Result<(), Failure> {
    let programme = beacon_db::programmes::find_by_code(conn, code)?.ok_or_else(|| {
        Failure(format!(
            "no programme has the code '{code}'; `beacon portfolio` lists every code"
        ))
    })?;
    outln!(out, "{} ({})", programme.name, programme.code);
    outln!(out, "Sponsor: {}", programme.sponsor);
    outln!(
        out,
        "Capability area: {}; stage: {}",
        programme.capability_area,
        programme.stage
    );
    if let Some(force) = &programme.lead_force_id {
        outln!(out, "Lead force: {force}");
    }
    if let Some(cost) = programme.whole_life_cost_pence {
        outln!(out, "Whole-life cost: {}", Pence::new(cost));
    }
    outln!(out);
    let reports = beacon_db::status_reports::for_programme(conn, programme.id)?;
    let mut table = new_table(&["Reported", "Rating", "Source", "Rationale"]);
    for report in &reports {
        table.add_row(vec![
            Cell::new(report.reported_at.format("%Y-%m-%d")),
            Cell::new(&report.rating),
            Cell::new(&report.source),
            Cell::new(&report.rationale),
        ]);
    }
    if reports.is_empty() {
        outln!(out, "Status reports: none yet");
    } else {
        outln!(out, "Status reports ({}):\n{table}", reports.len());
    }
    let ledger = beacon_db::funding::ledger_for_programme(conn, programme.id)?;
    let mut table = new_table(&["Year", "Kind", "Amount", "Reason"]);
    for entry in &ledger {
        let year = FinancialYear::starting(entry.financial_year)
            .map_or(entry.financial_year.to_string(), |y| y.to_string());
        table.add_row(vec![
            Cell::new(year),
            Cell::new(&entry.kind),
            money(Pence::new(entry.amount_pence)),
            Cell::new(&entry.reason),
        ]);
    }
    if ledger.is_empty() {
        outln!(out, "Funding ledger: no allocations yet");
    } else {
        outln!(out, "Funding ledger ({} entries):\n{table}", ledger.len());
    }
    Ok(())
}

fn envelope_set(
    out: &mut String,
    conn: &mut PooledConnection,
    stream: &str,
    year: FinancialYear,
    amount_pence: i64,
    basis: &str,
) -> Result<(), Failure> {
    let envelope = Envelope::new(year, Pence::new(amount_pence))
        .map_err(|e| Failure(format!("--amount-pence: {e}")))?;
    let stream_row = beacon_db::funding::find_stream(conn, stream)?
        .ok_or_else(|| Failure(format!("no funding stream has the code '{stream}'")))?;
    let row = beacon_db::funding::set_envelope(
        conn,
        &Actor::system("beacon envelope set"),
        stream_row.id,
        &envelope,
        basis,
        &[],
        // No withdrawals from here, so nothing to tell owners.
        &beacon_db::alerts::Policy::off(),
    )?
    .envelope;
    outln!(
        out,
        "{} envelope for {year}: {} ({} allocated)",
        stream_row.code,
        Pence::new(row.amount_pence),
        Pence::new(row.allocated_pence)
    );
    Ok(())
}
