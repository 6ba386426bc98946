//! The commands that show the register: the portfolio, and one programme.

use std::io::IsTerminal;

use beacon_core::{FinancialYear, Pence};
use beacon_db::PooledConnection;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets};

use super::Failure;
use crate::app::{AppError, AsOf, portfolio, register};
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
    let mut table = new_table(&[
        "Programme",
        "Rating",
        "Since",
        "Allocated",
        "Spent (run)",
        "Spent (change)",
    ]);
    for line in &portfolio.lines {
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
    let totals = &portfolio.totals;
    table.add_row(vec![
        Cell::new("Total"),
        Cell::new(""),
        Cell::new(""),
        money(totals.allocated),
        money(totals.spent_run),
        money(totals.spent_change),
    ]);
    outln!(out, "{table}");
    Ok(())
}

/// One programme: its details, rating history and funding ledger.
pub(super) fn programme(
    out: &mut String,
    conn: &mut PooledConnection,
    code: &str,
) -> Result<(), Failure> {
    let record = register::record_of(conn, code).map_err(|e| match e {
        AppError::NotFound(_) => Failure(format!(
            "no programme has the code '{code}'; `beacon portfolio` lists every code"
        )),
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
    outln!(out);
    reports_and_ledger(out, &record);
    Ok(())
}

fn reports_and_ledger(out: &mut String, record: &register::ProgrammeRecord) {
    let mut table = new_table(&["Reported", "Rating", "Source", "Rationale"]);
    for report in &record.reports {
        table.add_row(vec![
            Cell::new(report.reported_at.format("%Y-%m-%d")),
            Cell::new(report.rating),
            Cell::new(&report.source),
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
