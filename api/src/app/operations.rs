//! What an operator watches, read from the register itself so every server reports the
//! same: the alert backlog and the audit entries not yet linked into the chain.

use beacon_core::AlertStatus;
use beacon_db::DbConnection;

use super::AppError;

/// The register's figures for `GET /metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// Every alert status with how many alerts have it, zero included.
    pub alerts: Vec<(String, i64)>,
    /// How long the oldest pending alert has waited; zero with none.
    pub oldest_pending_seconds: f64,
    pub unsealed: i64,
}

pub fn figures(conn: &mut DbConnection) -> Result<Figures, AppError> {
    let backlog = beacon_db::alerts::backlog(conn)?;
    let (counts, oldest) = (backlog.by_status, backlog.oldest_pending);
    let alerts = AlertStatus::WORDS
        .iter()
        .map(|status| {
            let count = counts
                .iter()
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n);
            (status.to_string(), count)
        })
        .collect();
    let oldest_pending_seconds = oldest.map_or(0.0, |at| {
        (beacon_db::now() - at).num_milliseconds().max(0) as f64 / 1000.0
    });
    Ok(Figures {
        alerts,
        oldest_pending_seconds,
        unsealed: beacon_db::audit::unsealed(conn)?,
    })
}
