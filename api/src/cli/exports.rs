//! `beacon export`: the API's CSV downloads written to files, for an operator without
//! a browser. Each writes the bytes the API would send.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use beacon_db::PooledConnection;
use indicatif::{ProgressBar, ProgressStyle};

use super::Failure;
use super::args::{ExportTo, HistoryExport, PortfolioExport, SummaryExport};
use crate::app::history::{self, HistoryQuery};
use crate::app::{AppError, AsOf, portfolio, summary};
use crate::csv_table::{BATCH, encode, to_csv};
use crate::outln;
use crate::rest;

pub(super) fn history(
    out: &mut String,
    conn: &mut PooledConnection,
    args: HistoryExport,
) -> Result<(), Failure> {
    let query = HistoryQuery {
        programme: args.programme,
        stream: args.stream,
        year: args.year,
        kind: args.kind,
        from: None,
        to: None,
    };
    let filter = history::filter(conn, &query).map_err(|e| match e {
        // The fields a filter names are this command's flags.
        AppError::Invalid(errors) => Failure(format!(
            "--{errors}; `beacon portfolio` and `beacon stream list` list the codes"
        )),
        other => other.into(),
    })?;
    let mut sink = Sink::open(&args.to, "beacon-funding-history.csv")?;
    // Drawn only when stderr is a terminal: a script sees the closing line alone.
    let progress = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("{spinner} {human_pos} entries written ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let (mut after, mut written) = (None, 0_usize);
    loop {
        let rows = history::page(conn, &filter, after, BATCH)?;
        sink.write(&encode(&rows, written == 0).map_err(|e| Failure(e.to_string()))?)?;
        written += rows.len();
        progress.set_position(written as u64);
        match rows.last() {
            Some(last) if rows.len() as i64 == BATCH => after = Some(last.position()),
            _ => break,
        }
    }
    progress.finish_and_clear();
    if let Some(place) = sink.finish()? {
        outln!(out, "Wrote {written} funding history entries to {place}");
    }
    Ok(())
}

pub(super) fn portfolio(
    out: &mut String,
    conn: &mut PooledConnection,
    args: PortfolioExport,
) -> Result<(), Failure> {
    let as_of = args.as_of.unwrap_or_else(AsOf::today);
    let view = rest::portfolio::PortfolioView::from(portfolio::portfolio(conn, as_of, args.year)?);
    let (filename, rows) = rest::portfolio::csv_rows(&view);
    let mut sink = Sink::open(&args.to, &filename)?;
    sink.write(&to_csv(&rows)?)?;
    if let Some(place) = sink.finish()? {
        outln!(
            out,
            "Wrote {} programmes ({}, as of {}) to {place}",
            rows.len(),
            view.financial_year,
            view.as_of
        );
    }
    Ok(())
}

pub(super) fn summary(
    out: &mut String,
    conn: &mut PooledConnection,
    args: SummaryExport,
) -> Result<(), Failure> {
    let as_of = args.as_of.unwrap_or_else(AsOf::today);
    let found = summary::summary(conn, args.group_by, args.year, as_of)?;
    let view = rest::summary::SummaryView::from(found);
    let (filename, rows) = rest::summary::csv_rows(&view);
    let mut sink = Sink::open(&args.to, &filename)?;
    sink.write(&to_csv(&rows)?)?;
    if let Some(place) = sink.finish()? {
        outln!(
            out,
            "Wrote {} groups by {} and the totals to {place}",
            rows.len().saturating_sub(1),
            view.group_by
        );
    }
    Ok(())
}

/// Where an export goes: standard output, or a file written beside its final name and
/// renamed into place at the end, so an interrupted export never looks complete.
enum Sink {
    Stdout(std::io::Stdout),
    File {
        part: PathBuf,
        path: PathBuf,
        file: Option<BufWriter<File>>,
    },
}

impl Sink {
    fn open(to: &ExportTo, default_name: &str) -> Result<Self, Failure> {
        let path = to
            .output
            .clone()
            .unwrap_or_else(|| PathBuf::from(default_name));
        if path == Path::new("-") {
            return Ok(Sink::Stdout(std::io::stdout()));
        }
        let mut part = path.clone().into_os_string();
        part.push(".part");
        let part = PathBuf::from(part);
        let file = File::create(&part)
            .map_err(|e| Failure(format!("cannot write {}: {e}", path.display())))?;
        Ok(Sink::File {
            part,
            path,
            file: Some(BufWriter::new(file)),
        })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        match self {
            Sink::Stdout(stdout) => stdout
                .lock()
                .write_all(bytes)
                .map_err(|e| Failure(format!("cannot write standard output: {e}"))),
            Sink::File {
                file: Some(file),
                path,
                ..
            } => file
                .write_all(bytes)
                .map_err(|e| Failure(format!("cannot write {}: {e}", path.display()))),
            Sink::File { file: None, .. } => Ok(()),
        }
    }

    /// Flushes and puts the file in place; says which file, if it went to one.
    fn finish(mut self) -> Result<Option<String>, Failure> {
        match &mut self {
            Sink::Stdout(stdout) => {
                let _ = stdout.flush();
                Ok(None)
            }
            Sink::File { part, path, file } => {
                let name = path.display().to_string();
                let cannot = |e: std::io::Error| Failure(format!("cannot write {name}: {e}"));
                if let Some(file) = file.take() {
                    file.into_inner()
                        .map_err(|e| cannot(e.into_error()))?
                        .sync_all()
                        .map_err(cannot)?;
                }
                std::fs::rename(&*part, &*path).map_err(cannot)?;
                Ok(Some(name))
            }
        }
    }
}

impl Drop for Sink {
    /// An export that stopped part-way leaves no file behind.
    fn drop(&mut self) {
        if let Sink::File {
            part,
            file: Some(_),
            ..
        } = self
        {
            let _ = std::fs::remove_file(part);
        }
    }
}
