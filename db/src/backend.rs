//! The one place where Beacon's SQL differs between SQLite and PostgreSQL: upserts,
//! which Diesel's `MultiConnection` cannot express, row and advisory locks, which
//! SQLite has no need of (a write transaction holds its one write lock), and a function
//! each database spells its own way.

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::connection::DbConnection;
use crate::error::DbError;
use crate::rows::{EnvelopeRow, NewAlertRow, ProgrammeRow, TotalsRow};
use crate::schema::{alerts, envelope_days, envelopes, programme_days, programme_year_totals};

/// Runs the same Diesel expression on whichever backend `conn` holds.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            DbConnection::Postgres($c) => $body,
            DbConnection::Sqlite($c) => $body,
        }
    };
}

/// Makes sure a programme-year has a totals row, so that it can be changed by an
/// `UPDATE … SET x = x + d` that concurrent writers cannot lose.
pub(crate) fn ensure_totals(
    conn: &mut DbConnection,
    programme_id: i64,
    year: i32,
) -> Result<(), DbError> {
    use programme_year_totals as totals;
    let insert = diesel::insert_into(totals::table)
        .values((
            totals::programme_id.eq(programme_id),
            totals::financial_year.eq(year),
            totals::allocated_pence.eq(0i64),
            totals::spent_run_pence.eq(0i64),
            totals::spent_change_pence.eq(0i64),
        ))
        .on_conflict((totals::programme_id, totals::financial_year))
        .do_nothing();
    on_backend!(conn, |c| insert.execute(c))?;
    Ok(())
}

/// Writes a programme-year's row for `day` unless it has one.
pub(crate) fn insert_programme_day_once(
    conn: &mut DbConnection,
    row: &TotalsRow,
    day: NaiveDate,
) -> Result<(), DbError> {
    use programme_days as d;
    let insert = diesel::insert_into(d::table)
        .values((
            d::programme_id.eq(row.programme_id),
            d::financial_year.eq(row.financial_year),
            d::day.eq(day),
            d::allocated_pence.eq(row.allocated_pence),
            d::spent_run_pence.eq(row.spent_run_pence),
            d::spent_change_pence.eq(row.spent_change_pence),
        ))
        .on_conflict((d::programme_id, d::financial_year, d::day))
        .do_nothing();
    on_backend!(conn, |c| insert.execute(c))?;
    Ok(())
}

/// Writes an envelope's row for `day` unless it has one.
pub(crate) fn insert_envelope_day_once(
    conn: &mut DbConnection,
    stream_id: i64,
    year: i32,
    day: NaiveDate,
    (amount, allocated): (i64, i64),
) -> Result<(), DbError> {
    use envelope_days as d;
    let insert = diesel::insert_into(d::table)
        .values((
            d::stream_id.eq(stream_id),
            d::financial_year.eq(year),
            d::day.eq(day),
            d::amount_pence.eq(amount),
            d::allocated_pence.eq(allocated),
        ))
        .on_conflict((d::stream_id, d::financial_year, d::day))
        .do_nothing();
    on_backend!(conn, |c| insert.execute(c))?;
    Ok(())
}

/// Writes an alert unless one with its key is stored already; returns whether it did.
pub(crate) fn insert_alert_once(
    conn: &mut DbConnection,
    alert: &NewAlertRow<'_>,
) -> Result<bool, DbError> {
    let insert = diesel::insert_into(alerts::table)
        .values(alert)
        .on_conflict(alerts::unique_key)
        .do_nothing();
    Ok(on_backend!(conn, |c| insert.execute(c))? == 1)
}

/// Reads a programme for a write transaction so that no other writer changes it until
/// this one commits. On PostgreSQL `FOR NO KEY UPDATE`: unlike `FOR UPDATE` it lets rows
/// that refer to the programme be written meanwhile, so a worker's alerts or a ledger
/// entry on it do not wait for a report to commit.
pub(crate) fn lock_programme(
    conn: &mut DbConnection,
    code: &str,
) -> Result<Option<ProgrammeRow>, DbError> {
    use crate::schema::programmes;
    let query = programmes::table.filter(programmes::code.eq(code));
    Ok(match conn {
        DbConnection::Postgres(pg) => query
            .select(ProgrammeRow::as_select())
            .for_no_key_update()
            .get_result(pg)
            .optional()?,
        DbConnection::Sqlite(_) => query
            .select(ProgrammeRow::as_select())
            .get_result(conn)
            .optional()?,
    })
}

/// Reads an envelope so that no concurrent writer can change it before this
/// transaction ends: concurrent allocations then queue, and never overrun it.
pub(crate) fn lock_envelope(
    conn: &mut DbConnection,
    stream_id: i64,
    year: i32,
) -> Result<Option<EnvelopeRow>, DbError> {
    let query = envelopes::table.find((stream_id, year));
    Ok(match conn {
        DbConnection::Postgres(pg) => query
            .select(EnvelopeRow::as_select())
            .for_update()
            .get_result(pg)
            .optional()?,
        DbConnection::Sqlite(_) => query
            .select(EnvelopeRow::as_select())
            .get_result(conn)
            .optional()?,
    })
}

/// The ids of up to `batch` due alerts, oldest first, locked for this transaction. On
/// PostgreSQL rows another worker is claiming are skipped, not waited for, so workers
/// share the due alerts without queueing behind each other.
pub(crate) fn lock_due_alerts(
    conn: &mut DbConnection,
    now: chrono::NaiveDateTime,
    batch: i64,
) -> Result<Vec<i64>, DbError> {
    let due = alerts::table
        .filter(alerts::status.eq(beacon_core::AlertStatus::Pending.as_str()))
        .filter(alerts::next_attempt_at.le(now))
        .order((alerts::next_attempt_at.asc(), alerts::id.asc()))
        .select(alerts::id)
        .limit(batch);
    Ok(match conn {
        DbConnection::Postgres(pg) => due.for_update().skip_locked().load(pg)?,
        DbConnection::Sqlite(_) => due.load(conn)?,
    })
}

/// Whether an audit entry is linked into the chain as it is written. On PostgreSQL it is
/// linked just after its transaction commits (`audit::seal`), so that audited writes do
/// not each wait for the one before to reach the disk; SQLite's write transaction
/// already excludes every other writer, so there it is linked at once.
pub(crate) fn links_as_written(conn: &DbConnection) -> bool {
    matches!(conn, DbConnection::Sqlite(_))
}

/// Makes this transaction the only one linking audit entries into the chain until it
/// commits, so two sealers cannot both link to the same head.
pub(crate) fn lock_audit_chain(conn: &mut DbConnection) -> Result<(), DbError> {
    /// An arbitrary key that names the audit chain among advisory locks.
    const AUDIT_CHAIN_LOCK: i64 = 0x6265_6163_6f6e_0001;
    diesel::define_sql_function!(fn pg_advisory_xact_lock(key: diesel::sql_types::BigInt));
    if let DbConnection::Postgres(pg) = conn {
        diesel::select(pg_advisory_xact_lock(AUDIT_CHAIN_LOCK)).execute(pg)?;
    }
    Ok(())
}

/// Holds back every other transaction's sign-in attempt at `account` until this one
/// ends, so that attempts are counted one after another however many arrive at once.
/// SQLite's write transaction already does.
pub(crate) fn lock_sign_in(conn: &mut DbConnection, account: &str) -> Result<(), DbError> {
    /// Names sign-in locks among advisory locks: the upper half of each key.
    const SIGN_IN_LOCKS: i64 = 0x6265_6163_0000_0000;
    diesel::define_sql_function!(fn pg_advisory_xact_lock(key: diesel::sql_types::BigInt));
    if let DbConnection::Postgres(pg) = conn {
        // FNV-1a: stable from one build and one server to the next, unlike std's hasher.
        let hash = account.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
            (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
        });
        let key = SIGN_IN_LOCKS | i64::from(hash);
        diesel::select(pg_advisory_xact_lock(key)).execute(pg)?;
    }
    Ok(())
}

/// The greatest-of function's name, and the fence that keeps PostgreSQL's planner from
/// flattening a per-programme lookup into a hash join over every report (which keeps
/// the portfolio at a past date quick: bench/README.md, "Auditors").
pub(crate) fn greatest_and_fence(conn: &DbConnection) -> (&'static str, &'static str) {
    match conn {
        DbConnection::Postgres(_) => ("GREATEST", " OFFSET 0"),
        DbConnection::Sqlite(_) => ("max", ""),
    }
}
