//! Opening the database the way both the command line and the server do.

use std::path::Path;

use beacon_db::{DatabaseUrl, Pool};

use crate::app::AppError;
use crate::app::seed::{self, Added};

/// The embedded database used when no URL is given.
pub const DEFAULT_DATABASE: &str = "beacon.db";

pub struct Opened {
    pub url: DatabaseUrl,
    pub pool: Pool,
    /// What was seeded because this was the embedded database's first use.
    pub seeded: Option<Added>,
}

/// Opens and migrates the database at `url`, or the embedded SQLite file when there is
/// none; the embedded file is also seeded the first time, so a fresh machine shows the
/// register straight away.
pub fn open(url: Option<&str>) -> Result<Opened, AppError> {
    let (text, is_default) = match url {
        Some(text) if !text.trim().is_empty() => (text, false),
        _ => (DEFAULT_DATABASE, true),
    };
    let url = DatabaseUrl::parse(text)?;
    let first_use = is_default && !Path::new(DEFAULT_DATABASE).exists();
    let pool = beacon_db::open(&url)?;
    let seeded = if first_use {
        let mut conn = pool.get().map_err(beacon_db::DbError::from)?;
        Some(seed::load(&mut conn)?)
    } else {
        None
    };
    Ok(Opened { url, pool, seeded })
}
