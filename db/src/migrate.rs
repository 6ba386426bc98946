//! Embedded migrations for both backends, with identical version names.

use diesel::RunQueryDsl;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::connection::DbConnection;
use crate::error::DbError;

const POSTGRES: EmbeddedMigrations = embed_migrations!("../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");

/// An arbitrary key that names migrating among PostgreSQL's advisory locks.
const MIGRATIONS_LOCK: i64 = 0x6265_6164_0000_0001;
diesel::define_sql_function!(fn pg_advisory_lock(key: diesel::sql_types::BigInt));
diesel::define_sql_function!(fn pg_advisory_unlock(key: diesel::sql_types::BigInt) -> diesel::sql_types::Bool);

/// Applies every pending migration, then links any audit entries written before the
/// audit trail became a hash chain; returns the versions it applied.
pub fn run_pending(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    let applied = match conn {
        DbConnection::Postgres(pg) => {
            // Replicas starting together would otherwise each try the same migration;
            // one at a time, the later ones find nothing pending.
            diesel::select(pg_advisory_lock(MIGRATIONS_LOCK)).execute(pg)?;
            let applied = pg
                .run_pending_migrations(POSTGRES)
                .map(|versions| versions.iter().map(ToString::to_string).collect());
            diesel::select(pg_advisory_unlock(MIGRATIONS_LOCK)).execute(pg)?;
            applied
        }
        DbConnection::Sqlite(sqlite) => sqlite
            .run_pending_migrations(SQLITE)
            .map(|versions| versions.iter().map(ToString::to_string).collect()),
    };
    let applied = applied.map_err(|e| DbError::Migration(e.to_string()))?;
    crate::audit::seal(conn)?;
    Ok(applied)
}
