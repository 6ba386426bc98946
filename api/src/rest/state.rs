//! What every request handler shares: the pools, the token keys, the sign-in guards.

use std::sync::Arc;

use beacon_db::{DbConnection, Pool};

use super::problem::ApiError;
use super::tokens::TokenKeys;
use crate::app::alerts::Policy;
use crate::app::owners_cache::OwnersCache;
use crate::metrics::Metrics;
use crate::password::Hasher;

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    /// Where changes run (see `beacon_db::pool::writes`).
    pub writes: Pool,
    pub keys: Arc<TokenKeys>,
    /// Proxies whose `X-Forwarded-For` names the client (BEACON_TRUSTED_PROXIES).
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
    pub hasher: Hasher,
    /// Whether changes write alerts, and to whom besides owners.
    pub alerts: Arc<Policy>,
    /// Programmes' owners by version, for pages of the register.
    pub owners: Arc<OwnersCache>,
    /// Signs audit checkpoints (`GET /audit/checkpoint`).
    pub checkpoints: Arc<beacon_core::checkpoint::CheckpointKey>,
    /// What `GET /metrics` reports.
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl AppState {
    /// Runs database work that reads, on the blocking thread pool: Diesel is
    /// synchronous and must never hold an async worker thread.
    pub async fn db<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        on(self.pool.clone(), &self.metrics, work).await
    }

    /// Runs a use case that changes the register, on the pool changes go through.
    pub async fn db_write<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        on(self.writes.clone(), &self.metrics, work).await
    }
}

async fn on<T, F>(pool: Pool, metrics: &Metrics, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let waiting = metrics.pool_waiting.clone();
    actix_web::web::block(move || {
        waiting.inc();
        let conn = pool.get();
        waiting.dec();
        let mut conn = conn.map_err(beacon_db::DbError::from)?;
        work(&mut conn)
    })
    .await?
}
