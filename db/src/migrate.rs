//! Embedded migrations for both backends, with identical version names.

use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::connection::DbConnection;
use crate::error::DbError;

const POSTGRES: EmbeddedMigrations = embed_migrations!("../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");

/// Applies every pending migration, then links any audit entries written before the
/// audit trail became a hash chain; returns the versions it applied.
pub fn run_pending(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    let applied = match conn {
        DbConnection::Postgres(pg) => pg
            .run_pending_migrations(POSTGRES)
            .map(|versions| versions.iter().map(ToString::to_string).collect()),
        DbConnection::Sqlite(sqlite) => sqlite
            .run_pending_migrations(SQLITE)
            .map(|versions| versions.iter().map(ToString::to_string).collect()),
    };
    let applied = applied.map_err(|e| DbError::Migration(e.to_string()))?;
    crate::audit::seal(conn)?;
    Ok(applied)
}

/// Reverts the latest migration applied; returns its version. For an operator undoing
/// an upgrade, and for tests of how a migration carries rows over and back.
pub fn revert_last(conn: &mut DbConnection) -> Result<String, DbError> {
    let reverted = match conn {
        DbConnection::Postgres(pg) => pg.revert_last_migration(POSTGRES),
        DbConnection::Sqlite(sqlite) => sqlite.revert_last_migration(SQLITE),
    };
    reverted
        .map(|version| version.to_string())
        .map_err(|e| DbError::Migration(e.to_string()))
}
