//! The arguments of each command, and the parsers that turn a typed value into a
//! domain type or one line saying what to type instead.

use std::path::PathBuf;

use beacon_core::{Email, FinancialYear, HistoryKind, Pence, Rating, Role};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use secrecy::SecretString;

use crate::app::AsOf;
use crate::app::summary::GroupBy;
use crate::settings::AlertRules;

#[derive(Debug, Subcommand)]
pub(super) enum AuditCommand {
    /// Recompute the audit trail's hash chain: how many entries check out, the head
    /// hash, and the first sequence number that does not. With --against, also prove
    /// the trail still holds a checkpoint taken earlier. Exits 1 when it does not hold
    Verify(VerifyArgs),
    /// Print the chain's head now, signed with the register's key, as the JSON that
    /// GET /api/v1/audit/checkpoint gives: keep it outside Beacon and verify against it
    /// later. Needs BEACON_JWT_SECRET, the secret the servers share
    Checkpoint(RegisterKey),
}

#[derive(Debug, Args)]
pub(super) struct VerifyArgs {
    /// A checkpoint saved from `beacon audit checkpoint` or GET /api/v1/audit/checkpoint:
    /// also check its signature and that the trail still holds its entry, so nothing
    /// was removed or rewritten since
    #[arg(long, value_name = "FILE")]
    pub against: Option<PathBuf>,
    #[command(flatten)]
    pub key: RegisterKey,
}

#[derive(Debug, Args)]
pub(super) struct RegisterKey {
    /// The register's public key, base64, from GET /api/v1/audit/public-key, to check a
    /// checkpoint's signature with [default: the key BEACON_JWT_SECRET gives]
    #[arg(long, env = "BEACON_AUDIT_PUBLIC_KEY")]
    pub public_key: Option<String>,
    /// The secret Beacon's servers share; the register's checkpoint key comes from it
    #[arg(long, env = "BEACON_JWT_SECRET", hide_env_values = true, value_parser = parse_secret)]
    pub jwt_secret: Option<SecretString>,
}

#[derive(Debug, Subcommand)]
pub(super) enum UserCommand {
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
    /// Stop a user signing in: their tokens end at once and they are no longer emailed
    /// alerts. Their records and ownerships stay
    Deactivate(UserEmail),
    /// Let a deactivated user sign in again
    Activate(UserEmail),
    /// Give a user a new password, asked for at the prompt or read from BEACON_PASSWORD
    /// when there is no terminal. Their earlier tokens end
    ResetPassword(UserEmail),
    /// Let a user sign in again at once from anywhere: forget their failed sign-ins
    LiftThrottle(UserEmail),
}

#[derive(Debug, Args)]
pub(super) struct UserEmail {
    /// The user's email address
    #[arg(long, value_parser = parse_email)]
    pub email: Email,
}

#[derive(Debug, Args)]
pub(super) struct PortfolioArgs {
    /// The financial year to show money for, like 2025-26 [default: the current one]
    #[arg(long, value_parser = parse_year)]
    pub year: Option<FinancialYear>,
}

#[derive(Debug, Args)]
pub(super) struct ProgrammeArgs {
    /// The programme's code, as `beacon portfolio` lists it, e.g. pnd-transformation
    pub code: String,
}

#[derive(Debug, Subcommand)]
pub(super) enum OwnerCommand {
    /// Make a user an owner of a programme: a lead who owns it may report its status,
    /// and every active owner is emailed when it turns Red
    Add(OwnerArgs),
    /// Stop a user owning a programme
    Remove(OwnerArgs),
}

#[derive(Debug, Args)]
pub(super) struct OwnerArgs {
    /// The programme's code, as `beacon portfolio` lists it
    #[arg(long)]
    pub programme: String,
    /// The user's email address
    #[arg(long, value_parser = parse_email)]
    pub email: Email,
}

#[derive(Debug, Subcommand)]
pub(super) enum ExportCommand {
    /// Every funding history entry the filters match, in the order recorded: the CSV
    /// of GET /api/v1/funding/history.csv
    History(HistoryExport),
    /// Every programme with its rating and a year's money: the CSV of
    /// GET /api/v1/portfolio?format=csv
    Portfolio(PortfolioExport),
    /// Money added up by year, stream, programme or sponsor, then the totals: the CSV
    /// of GET /api/v1/funding/summary?format=csv
    Summary(SummaryExport),
}

#[derive(Debug, Args)]
pub(super) struct ExportTo {
    /// The file to write, replaced only once the export is complete; `-` for standard
    /// output [default: the name the API gives the download, in the working directory]
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(super) struct HistoryExport {
    /// Only this programme's entries (its code)
    #[arg(long)]
    pub programme: Option<String>,
    /// Only this funding stream's entries (its code)
    #[arg(long)]
    pub stream: Option<String>,
    /// Only this financial year, like 2025-26
    #[arg(long, value_parser = parse_year)]
    pub year: Option<FinancialYear>,
    /// Only this kind: allocation, adjustment, withdrawal, envelope or spend
    #[arg(long, value_parser = parse_kind)]
    pub kind: Option<HistoryKind>,
    #[command(flatten)]
    pub to: ExportTo,
}

#[derive(Debug, Args)]
pub(super) struct PortfolioExport {
    /// The financial year whose money to show, like 2025-26 [default: the year of
    /// --as-of]
    #[arg(long, value_parser = parse_year)]
    pub year: Option<FinancialYear>,
    /// The day to show the portfolio as it stood at the end of, like 2025-03-31
    /// [default: today]
    #[arg(long, value_parser = parse_past_day)]
    pub as_of: Option<AsOf>,
    #[command(flatten)]
    pub to: ExportTo,
}

#[derive(Debug, Args)]
pub(super) struct SummaryExport {
    /// What to add up by: financial_year, stream, programme or sponsor, or several
    /// separated by commas, like financial_year,stream,programme
    #[arg(long, default_value = "financial_year", value_parser = parse_group_by)]
    pub group_by: GroupBy,
    /// Only this financial year, like 2025-26
    #[arg(long, value_parser = parse_year)]
    pub year: Option<FinancialYear>,
    /// The day to add up the money as it stood at the end of [default: today]
    #[arg(long, value_parser = parse_past_day)]
    pub as_of: Option<AsOf>,
    #[command(flatten)]
    pub to: ExportTo,
}

#[derive(Debug, Subcommand)]
pub(super) enum StreamCommand {
    /// Every funding stream with its envelope for each financial year: the amount,
    /// what is allocated from it, and the headroom left
    List,
}

#[derive(Debug, Subcommand)]
pub(super) enum EnvelopeCommand {
    /// Set how much a funding stream may allocate in one financial year
    Set {
        /// The funding stream's code, as `beacon stream list` lists it, e.g.
        /// hmt-police-technology-2024-28
        #[arg(long)]
        stream: String,
        /// The financial year, like 2025-26
        #[arg(long, value_parser = parse_year)]
        year: FinancialYear,
        /// The envelope in pence (whole number, zero or more): £59.5m is 5950000000
        #[arg(long, allow_negative_numbers = true, value_parser = parse_pence)]
        amount_pence: i64,
        /// Where the figure comes from, e.g. "Spending Review 2025 settlement letter"
        #[arg(long, default_value = "set with beacon envelope set")]
        basis: String,
    },
}

#[derive(Debug, Args)]
pub(super) struct ReportArgs {
    /// The programme's code, as `beacon portfolio` lists it
    pub code: String,
    /// The email of the user reporting: an owner of the programme whose role is lead,
    /// or an admin. The report and the audit trail name them
    #[arg(long = "as", value_name = "EMAIL", value_parser = parse_email)]
    pub reporter: Email,
    /// Delivery confidence: red, amber_red, amber, amber_green or green
    #[arg(long, value_parser = parse_rating)]
    pub rating: Rating,
    /// Why: required for anything below green
    #[arg(long, default_value = "", hide_default_value = true)]
    pub rationale: String,
    /// The last day of the period reported on, like 2026-09-30; not in the future
    #[arg(long, value_parser = parse_date)]
    pub period_end: NaiveDate,
    /// Which alerts the report writes, read as `beacon serve` reads them; the server's
    /// worker (or `beacon worker`) sends them
    #[command(flatten)]
    pub alerts: AlertRules,
}

pub(super) fn parse_email(value: &str) -> Result<Email, String> {
    Email::parse(value).map_err(|e| e.to_string())
}

fn parse_role(value: &str) -> Result<Role, String> {
    value
        .parse()
        .map_err(|e: beacon_core::ParseEnumError| e.to_string())
}

fn parse_rating(value: &str) -> Result<Rating, String> {
    value
        .parse()
        .map_err(|e: beacon_core::ParseEnumError| e.to_string())
}

fn parse_year(value: &str) -> Result<FinancialYear, String> {
    value
        .parse()
        .map_err(|e: beacon_core::FinancialYearError| e.to_string())
}

/// A date within the years Beacon records.
fn parse_date(value: &str) -> Result<NaiveDate, String> {
    let date = NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| "expected a date written like 2026-09-30".to_string())?;
    FinancialYear::check_recorded(date)
}

fn parse_kind(value: &str) -> Result<HistoryKind, String> {
    value
        .parse()
        .map_err(|e: beacon_core::ParseEnumError| e.to_string())
}

/// A day today or earlier, within the years Beacon records.
fn parse_past_day(value: &str) -> Result<AsOf, String> {
    AsOf::past(parse_date(value)?)
}

fn parse_group_by(value: &str) -> Result<GroupBy, String> {
    GroupBy::parse(value)
}

/// A whole number of pence: "59.5m", "£100" or "12.50" is refused with an example.
fn parse_pence(value: &str) -> Result<i64, String> {
    let digits = value.strip_prefix('-').unwrap_or(value);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse().map_err(|_| {
            format!(
                "too large: an amount is at most {} pence ({})",
                Pence::LIMIT.get(),
                Pence::LIMIT
            )
        });
    }
    Err("expected a whole number of pence, like 5950000000 for £59.5m".into())
}

fn parse_secret(text: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(text.to_string()))
}
