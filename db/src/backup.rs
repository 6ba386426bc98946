//! A consistent copy of a live SQLite database, taken while servers keep writing.

use std::path::Path;

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::connection::DbConnection;

/// Why a backup was not made, in the words of the person who asked for it.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "beacon backup copies SQLite databases; back up PostgreSQL with pg_dump (see the README's operations section)"
    )]
    Postgres,
    #[error("{0} already exists: name a new file, so no earlier backup is overwritten")]
    Exists(String),
    #[error("cannot write the backup {0}")]
    File(String),
}

/// Writes the whole database to a new file at `to` with `VACUUM INTO`: one read
/// transaction, so the copy is the database as it stood at one moment, whatever is
/// written meanwhile, and compacted. Returns the copy's size in bytes.
pub fn sqlite(conn: &mut DbConnection, to: &Path) -> Result<u64, BackupError> {
    let DbConnection::Sqlite(sqlite) = conn else {
        return Err(BackupError::Postgres);
    };
    let shown = to.display().to_string();
    if to.exists() {
        return Err(BackupError::Exists(shown));
    }
    let target = to
        .to_str()
        .ok_or_else(|| BackupError::File(format!("{shown}: the path is not UTF-8")))?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(target)
        .execute(sqlite)
        .map_err(|e| BackupError::File(format!("{shown}: {e}")))?;
    std::fs::metadata(to)
        .map(|m| m.len())
        .map_err(|e| BackupError::File(format!("{shown}: {e}")))
}
