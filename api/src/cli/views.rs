//! The commands that show the register: the portfolio, one programme, and the
//! funding streams.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io::IsTerminal;

use beacon_core::funding::headroom;
use beacon_core::{FinancialYear, Pence};
use beacon_db::PooledConnection;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets};

use super::Failure;
use super::programmes::no_programme;
use crate::app::{AppError, AsOf, Caller, funding, portfolio, register, users};
use crate::outln;

/// A table that wraps long text to the terminal, or to 120 columns when the output is
/// piped and there is no terminal to measure.
pub(super) fn new_table(header: &[&str]) -> Table {
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

/// Every programme with its rating, since when, and the year's money: the same use
/// case as `GET /api/v1/portfolio`, as it stands today.
pub(super) fn portfolio(
    out: &mut String,
    conn: &mut PooledConnection,
    year: Option<FinancialYear>,
) -> Result<(), Failure> {
    let today = AsOf::today();
    let year = match year {
        Some(year) => year,
        None => today.year()?,
    };
    let portfolio = portfolio::portfolio(conn, today, Some(year))?;
    outln!(
        out,
        "Portfolio for {year} ({} to {}): {} programmes",
        year.first_day().format("%-d %B %Y"),
        year.last_day().format("%-d %B %Y"),
        portfolio.lines.len()
    );
    let totals = &portfolio.totals;
    if [totals.allocated, totals.spent_run, totals.spent_change] == [Pence::ZERO; 3] {
        outln!(out, "{}", no_money_in(conn, year)?);
    }
    let mut table = new_table(&[
        "Code",
        "Name",
        "Rating",
        "Since",
        "Allocated",
        "Spent (run)",
        "Spent (change)",
    ]);
    for line in &portfolio.lines {
        table.add_row(vec![
            Cell::new(&line.code),
            Cell::new(&line.name),
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
    table.add_row(vec![
        Cell::new("Total"),
        Cell::new(""),
        Cell::new(""),
        Cell::new(""),
        money(totals.allocated),
        money(totals.spent_run),
        money(totals.spent_change),
    ]);
    outln!(out, "{table}");
    Ok(())
}

/// The line that says a year has no money, and which year has.
fn no_money_in(conn: &mut PooledConnection, year: FinancialYear) -> Result<String, Failure> {
    Ok(match portfolio::latest_year_with_money(conn)? {
        Some(latest) => format!(
            "No money recorded for {year}; the latest year with money is {latest}: beacon portfolio --year {latest}"
        ),
        None => format!(
            "No money recorded for {year}, nor for any other year: `beacon envelope set` and the API record it"
        ),
    })
}

/// One programme: its details, rating history and funding ledger.
pub(super) fn programme(
    out: &mut String,
    conn: &mut PooledConnection,
    code: &str,
) -> Result<(), Failure> {
    let record = register::record_of(conn, code).map_err(|e| match e {
        AppError::NotFound(_) => no_programme(code),
        other => other.into(),
    })?;
    let programme = &record.detail.programme;
    outln!(out, "{} ({})", programme.name, programme.code);
    outln!(out, "Sponsor: {}", programme.sponsor);
    outln!(
        out,
        "Capability area: {}; stage: {}",
        programme.capability_area,
        programme.stage
    );
    if let Some(force) = &programme.lead_force {
        outln!(out, "Lead force: {force}");
    }
    if let Some(cost) = programme.whole_life_cost {
        outln!(out, "Whole-life cost: {cost}");
    }
    outln!(out, "{}", owners(conn, &record.detail)?);
    outln!(out);
    let reporters = reporters(conn, &record)?;
    reports_and_ledger(out, &record, &reporters);
    Ok(())
}

/// The email of each user who reported on the programme, by id.
fn reporters(
    conn: &mut PooledConnection,
    record: &register::ProgrammeRecord,
) -> Result<HashMap<i64, String>, Failure> {
    let who = Caller::system("beacon programme");
    let mut emails = HashMap::new();
    for id in record.reports.iter().filter_map(|r| r.reported_by) {
        if let Entry::Vacant(slot) = emails.entry(id) {
            slot.insert(users::get(conn, &who, id)?.email.to_string());
        }
    }
    Ok(emails)
}

fn reports_and_ledger(
    out: &mut String,
    record: &register::ProgrammeRecord,
    reporters: &HashMap<i64, String>,
) {
    let mut table = new_table(&["Reported", "Rating", "By or source", "Rationale"]);
    for report in &record.reports {
        table.add_row(vec![
            Cell::new(report.reported_at.format("%Y-%m-%d")),
            Cell::new(report.rating),
            Cell::new(
                report
                    .reported_by
                    .and_then(|id| reporters.get(&id))
                    .unwrap_or(&report.source),
            ),
            Cell::new(&report.rationale),
        ]);
    }
    if record.reports.is_empty() {
        outln!(out, "Status reports: none yet");
    } else {
        outln!(out, "Status reports ({}):\n{table}", record.reports.len());
    }
    let mut table = new_table(&["Year", "Kind", "Amount", "Reason"]);
    for entry in &record.ledger {
        table.add_row(vec![
            Cell::new(entry.year),
            Cell::new(entry.kind),
            money(entry.amount),
            Cell::new(&entry.reason),
        ]);
    }
    if record.ledger.is_empty() {
        outln!(out, "Funding ledger: no allocations yet");
    } else {
        outln!(
            out,
            "Funding ledger ({} entries):\n{table}",
            record.ledger.len()
        );
    }
}

/// The owners line: each owner's email and role, and whether they are deactivated.
fn owners(
    conn: &mut PooledConnection,
    detail: &register::ProgrammeDetail,
) -> Result<String, Failure> {
    if detail.owners.is_empty() {
        return Ok(format!(
            "Owners: none yet; add one with `beacon owner add --programme {} --email …`",
            detail.programme.code
        ));
    }
    let who = Caller::system("beacon programme");
    let mut named = Vec::with_capacity(detail.owners.len());
    for owner in &detail.owners {
        let user = users::get(conn, &who, owner.user_id)?;
        let standing = if user.active { "" } else { ", deactivated" };
        named.push(format!("{} ({}{standing})", user.email, user.role));
    }
    Ok(format!("Owners: {}", named.join(", ")))
}

/// Every funding stream with its envelopes by year: the same use case as
/// `GET /api/v1/funding-streams`.
pub(super) fn stream_list(out: &mut String, conn: &mut PooledConnection) -> Result<(), Failure> {
    let streams = funding::list_streams(conn)?;
    if streams.is_empty() {
        outln!(out, "No funding streams yet");
        return Ok(());
    }
    for (i, listed) in streams.iter().enumerate() {
        if i > 0 {
            outln!(out);
        }
        outln!(out, "{} ({})", listed.stream.name, listed.stream.code);
        if listed.envelopes.is_empty() {
            outln!(
                out,
                "No envelopes yet: `beacon envelope set --stream {} …` sets one",
                listed.stream.code
            );
            continue;
        }
        let mut table = new_table(&["Year", "Envelope", "Allocated", "Headroom"]);
        for envelope in &listed.envelopes {
            let headroom = headroom(envelope.amount, envelope.allocated)
                .map_err(|e| Failure(format!("the headroom of {}: {e}", listed.stream.code)))?;
            table.add_row(vec![
                Cell::new(envelope.year),
                money(envelope.amount),
                money(envelope.allocated),
                money(headroom),
            ]);
        }
        outln!(out, "{table}");
    }
    Ok(())
}
