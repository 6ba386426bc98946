//! The funding history: every ledger entry, envelope change and spend entry, in the
//! order they were recorded, read from the three append-only tables.
//!
//! Each table is read with its own query (an index range scan in recorded order, at
//! most one page long) and the three are merged here. That keeps every page, filtered
//! or not, a bounded read however long the history grows, on both backends.

mod names;

use beacon_core::{FinancialYear, HistoryKind, Pence, SpendCategory};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::connection::DbConnection;
use crate::error::DbError;
use crate::records::year;
use crate::schema::{envelope_changes, ledger_entries, spend_entries};
use names::Names;

/// Which table an entry comes from; also breaks ties between entries recorded in the
/// same microsecond, so the order is total and stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    Ledger = 0,
    Envelope = 1,
    Spend = 2,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Ledger => "ledger",
            Source::Envelope => "envelope",
            Source::Spend => "spend",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Source::Ledger, Source::Envelope, Source::Spend]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// The table and id that a citable id (`ledger-13`, `envelope-7`, `spend-4`, as
/// `HistoryRow::citation` writes it) names, if it is one. Ids are never reused.
pub fn cited(text: &str) -> Option<(Source, i64)> {
    let (source, id) = text.trim().rsplit_once('-')?;
    Some((
        Source::parse(source)?,
        id.parse().ok().filter(|id| *id > 0)?,
    ))
}

/// A place in the history: the entry a page ends at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub recorded_at: NaiveDateTime,
    pub source: Source,
    pub id: i64,
}

/// One entry of the funding history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    pub source: Source,
    pub id: i64,
    pub recorded_at: NaiveDateTime,
    pub kind: HistoryKind,
    /// The stream's code and name; absent for spend.
    pub stream: Option<String>,
    pub stream_name: Option<String>,
    /// The programme's code, name and sponsor; absent for an envelope change.
    pub programme: Option<String>,
    pub programme_name: Option<String>,
    pub sponsor: Option<String>,
    pub year: FinancialYear,
    /// Signed: what the entry adds to (or, negative, takes from) its total.
    pub amount: Pence,
    /// For spend: run or change.
    pub category: Option<SpendCategory>,
    /// For an envelope change: the envelope after it.
    pub envelope: Option<Pence>,
    pub reason: String,
    pub recorded_by: Option<String>,
    /// When it takes effect (the money decided, announced or spent), as against
    /// `recorded_at`, when Beacon learnt of it.
    pub effective_on: NaiveDate,
}

impl HistoryRow {
    pub fn citation(&self) -> String {
        format!("{}-{}", self.source.as_str(), self.id)
    }

    pub fn position(&self) -> Position {
        Position {
            recorded_at: self.recorded_at,
            source: self.source,
            id: self.id,
        }
    }
}

/// What the history may be narrowed to; every field optional.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub programme_id: Option<i64>,
    pub stream_id: Option<i64>,
    pub year: Option<FinancialYear>,
    pub kind: Option<HistoryKind>,
    /// Recorded at or after.
    pub from: Option<NaiveDateTime>,
    /// Recorded before.
    pub to: Option<NaiveDateTime>,
    /// One entry only, by its table and id.
    pub only: Option<(Source, i64)>,
}

impl Filter {
    fn wants(&self, source: Source) -> bool {
        if self.only.is_some_and(|(only, _)| only != source) {
            return false;
        }
        let kind_ok = matches!(
            (self.kind, source),
            (None, _)
                | (Some(HistoryKind::Envelope), Source::Envelope)
                | (Some(HistoryKind::Spend), Source::Spend)
                | (
                    Some(
                        HistoryKind::Allocation | HistoryKind::Adjustment | HistoryKind::Withdrawal
                    ),
                    Source::Ledger
                )
        );
        // Envelope changes belong to a stream, not a programme; spend to a programme,
        // not a stream.
        let scope_ok = match source {
            Source::Envelope => self.programme_id.is_none(),
            Source::Spend => self.stream_id.is_none(),
            Source::Ledger => true,
        };
        kind_ok && scope_ok
    }
}

/// Rows after `after` in recorded order, at most `limit` of them.
pub fn page(
    conn: &mut DbConnection,
    filter: &Filter,
    after: Option<Position>,
    limit: i64,
) -> Result<Vec<HistoryRow>, DbError> {
    let mut rows = Vec::new();
    if filter.wants(Source::Ledger) {
        rows.extend(ledger(conn, filter, after, limit)?);
    }
    if filter.wants(Source::Envelope) {
        rows.extend(envelopes(conn, filter, after, limit)?);
    }
    if filter.wants(Source::Spend) {
        rows.extend(spend(conn, filter, after, limit)?);
    }
    rows.sort_by_key(HistoryRow::position);
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(rows)
}

/// How a table's rows compare with the position a page starts after: its rows at the
/// same time come after the position's if its source sorts later, and so on.
enum After {
    Everything,
    LaterThan(NaiveDateTime),
    AtOrLaterThan(NaiveDateTime),
    LaterIdAt(NaiveDateTime, i64),
}

fn after_for(source: Source, after: Option<Position>) -> After {
    match after {
        None => After::Everything,
        Some(p) if source > p.source => After::AtOrLaterThan(p.recorded_at),
        Some(p) if source < p.source => After::LaterThan(p.recorded_at),
        Some(p) => After::LaterIdAt(p.recorded_at, p.id),
    }
}

/// Applies the shared filters and the page start to one table's boxed query. A macro,
/// because the three tables' columns are different types to Diesel.
macro_rules! narrow {
    ($query:ident, $table:ident, $filter:expr, $after:expr) => {{
        let mut query = $query;
        if let Some((_, id)) = $filter.only {
            query = query.filter($table::id.eq(id));
        }
        if let Some(year) = $filter.year {
            query = query.filter($table::financial_year.eq(year.start_year()));
        }
        if let Some(from) = $filter.from {
            query = query.filter($table::recorded_at.ge(from));
        }
        if let Some(to) = $filter.to {
            query = query.filter($table::recorded_at.lt(to));
        }
        match $after {
            After::Everything => {}
            After::LaterThan(at) => query = query.filter($table::recorded_at.gt(at)),
            After::AtOrLaterThan(at) => query = query.filter($table::recorded_at.ge(at)),
            // Written as a range on the time plus a check, so the index range applies:
            // (t > at) or (t = at and id > i)  ==  t >= at and (t > at or id > i).
            After::LaterIdAt(at, id) => {
                query = query
                    .filter($table::recorded_at.ge(at))
                    .filter($table::recorded_at.gt(at).or($table::id.gt(id)))
            }
        }
        query.order(($table::recorded_at.asc(), $table::id.asc()))
    }};
}

/// The columns each table's query selects, in order. Each query reads its one table
/// only, so the database walks the recorded-order index and stops after a page; codes
/// and emails are looked up afterwards for the ids on the page.
#[derive(Queryable)]
struct LedgerLine {
    id: i64,
    recorded_at: NaiveDateTime,
    kind: String,
    stream_id: i64,
    programme_id: i64,
    year: i32,
    amount: i64,
    reason: String,
    by: Option<i64>,
    effective_on: NaiveDate,
}

#[derive(Queryable)]
struct EnvelopeLine {
    id: i64,
    recorded_at: NaiveDateTime,
    stream_id: i64,
    year: i32,
    change: i64,
    amount: i64,
    basis: String,
    by: Option<i64>,
    effective_on: NaiveDate,
}

#[derive(Queryable)]
struct SpendLine {
    id: i64,
    recorded_at: NaiveDateTime,
    programme_id: i64,
    year: i32,
    category: String,
    amount: i64,
    description: String,
    by: Option<i64>,
    effective_on: NaiveDate,
}

fn ledger(
    conn: &mut DbConnection,
    filter: &Filter,
    after: Option<Position>,
    limit: i64,
) -> Result<Vec<HistoryRow>, DbError> {
    let mut query = ledger_entries::table
        .select((
            ledger_entries::id,
            ledger_entries::recorded_at,
            ledger_entries::kind,
            ledger_entries::stream_id,
            ledger_entries::programme_id,
            ledger_entries::financial_year,
            ledger_entries::amount_pence,
            ledger_entries::reason,
            ledger_entries::recorded_by,
            ledger_entries::effective_on,
        ))
        .into_boxed();
    if let Some(programme) = filter.programme_id {
        query = query.filter(ledger_entries::programme_id.eq(programme));
    }
    if let Some(stream) = filter.stream_id {
        query = query.filter(ledger_entries::stream_id.eq(stream));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(ledger_entries::kind.eq(kind.as_str()));
    }
    let query = narrow!(
        query,
        ledger_entries,
        filter,
        after_for(Source::Ledger, after)
    );
    let lines: Vec<LedgerLine> = query.limit(limit).load(conn)?;
    let names = Names::load(
        conn,
        lines.iter().map(|l| l.stream_id),
        lines.iter().map(|l| l.programme_id),
        lines.iter().filter_map(|l| l.by),
    )?;
    lines.into_iter().map(|l| l.row(&names)).collect()
}

impl LedgerLine {
    fn row(self, names: &Names) -> Result<HistoryRow, DbError> {
        let (stream, programme) = (
            names.stream(self.stream_id),
            names.programme(self.programme_id),
        );
        Ok(HistoryRow {
            source: Source::Ledger,
            id: self.id,
            recorded_at: self.recorded_at,
            kind: self
                .kind
                .parse()
                .map_err(|e| DbError::Corrupt(format!("ledger entry kind: {e}")))?,
            stream: stream.code,
            stream_name: stream.name,
            programme: programme.code,
            programme_name: programme.name,
            sponsor: programme.sponsor,
            year: year(self.year)?,
            amount: Pence::new(self.amount),
            category: None,
            envelope: None,
            reason: self.reason,
            recorded_by: names.user(self.by),
            effective_on: self.effective_on,
        })
    }
}

fn envelopes(
    conn: &mut DbConnection,
    filter: &Filter,
    after: Option<Position>,
    limit: i64,
) -> Result<Vec<HistoryRow>, DbError> {
    let mut query = envelope_changes::table
        .select((
            envelope_changes::id,
            envelope_changes::recorded_at,
            envelope_changes::stream_id,
            envelope_changes::financial_year,
            envelope_changes::change_pence,
            envelope_changes::amount_pence,
            envelope_changes::basis,
            envelope_changes::recorded_by,
            envelope_changes::effective_on,
        ))
        .into_boxed();
    if let Some(stream) = filter.stream_id {
        query = query.filter(envelope_changes::stream_id.eq(stream));
    }
    let query = narrow!(
        query,
        envelope_changes,
        filter,
        after_for(Source::Envelope, after)
    );
    let lines: Vec<EnvelopeLine> = query.limit(limit).load(conn)?;
    let names = Names::load(
        conn,
        lines.iter().map(|l| l.stream_id),
        std::iter::empty(),
        lines.iter().filter_map(|l| l.by),
    )?;
    lines
        .into_iter()
        .map(|l| {
            let stream = names.stream(l.stream_id);
            Ok(HistoryRow {
                source: Source::Envelope,
                id: l.id,
                recorded_at: l.recorded_at,
                kind: HistoryKind::Envelope,
                stream: stream.code,
                stream_name: stream.name,
                programme: None,
                programme_name: None,
                sponsor: None,
                year: year(l.year)?,
                amount: Pence::new(l.change),
                category: None,
                envelope: Some(Pence::new(l.amount)),
                reason: l.basis,
                recorded_by: names.user(l.by),
                effective_on: l.effective_on,
            })
        })
        .collect()
}

fn spend(
    conn: &mut DbConnection,
    filter: &Filter,
    after: Option<Position>,
    limit: i64,
) -> Result<Vec<HistoryRow>, DbError> {
    let mut query = spend_entries::table
        .select((
            spend_entries::id,
            spend_entries::recorded_at,
            spend_entries::programme_id,
            spend_entries::financial_year,
            spend_entries::category,
            spend_entries::amount_pence,
            spend_entries::description,
            spend_entries::recorded_by,
            spend_entries::effective_on,
        ))
        .into_boxed();
    if let Some(programme) = filter.programme_id {
        query = query.filter(spend_entries::programme_id.eq(programme));
    }
    let query = narrow!(
        query,
        spend_entries,
        filter,
        after_for(Source::Spend, after)
    );
    let lines: Vec<SpendLine> = query.limit(limit).load(conn)?;
    let names = Names::load(
        conn,
        std::iter::empty(),
        lines.iter().map(|l| l.programme_id),
        lines.iter().filter_map(|l| l.by),
    )?;
    lines
        .into_iter()
        .map(|l| {
            let programme = names.programme(l.programme_id);
            Ok(HistoryRow {
                source: Source::Spend,
                id: l.id,
                recorded_at: l.recorded_at,
                kind: HistoryKind::Spend,
                stream: None,
                stream_name: None,
                programme: programme.code,
                programme_name: programme.name,
                sponsor: programme.sponsor,
                year: year(l.year)?,
                amount: Pence::new(l.amount),
                category: Some(spend_category(&l.category)?),
                envelope: None,
                reason: l.description,
                recorded_by: names.user(l.by),
                effective_on: l.effective_on,
            })
        })
        .collect()
}

fn spend_category(text: &str) -> Result<SpendCategory, DbError> {
    text.parse()
        .map_err(|e| DbError::Corrupt(format!("spend category: {e}")))
}
