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
