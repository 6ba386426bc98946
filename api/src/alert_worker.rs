//! The alert worker: claims due alerts from the outbox, sends them, and records what
//! happened; now and then it also writes overdue-report reminders. It runs on a thread
//! of its own inside `beacon serve`, or alone as `beacon worker`; any number may run on
//! one PostgreSQL database (see `beacon_db::alerts` for why none sends an alert twice).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use beacon_db::Pool;
use beacon_db::alerts::Outcome;
use beacon_db::records::Alert;
use chrono::TimeDelta;

use crate::app::{AppError, alerts};
use crate::mail::Mailer;
use crate::settings::AlertSettings;

/// How often a worker sweeps for programmes whose report is overdue. Reminders are
/// days apart; the unique key makes a sweep by several workers harmless.
const REMINDER_SWEEP: Duration = Duration::from_secs(15 * 60);

pub struct Worker {
    pool: Pool,
    mailer: Mailer,
    settings: AlertSettings,
    /// Names this worker's claims: host, process and a random part.
    id: String,
    /// Set when the worker is to stop: it finishes the message in hand and gives back
    /// the rest of its batch.
    stopping: Arc<AtomicBool>,
}

/// Where .eml files go by default: `alerts/` beside the SQLite file, or in the working
/// directory for PostgreSQL.
pub fn default_dir(database: &beacon_db::DatabaseUrl) -> PathBuf {
    match database {
        beacon_db::DatabaseUrl::Sqlite(path) if path != ":memory:" => Path::new(path)
            .parent()
            .map(|dir| dir.join("alerts"))
            .unwrap_or_else(|| PathBuf::from("alerts")),
        _ => PathBuf::from("alerts"),
    }
}

impl Worker {
    pub fn new(
        pool: Pool,
        settings: AlertSettings,
        database: &beacon_db::DatabaseUrl,
    ) -> Result<Self, crate::mail::MailError> {
        let mailer = Mailer::new(&settings, &default_dir(database))?;
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "beacon".to_string());
        let id = format!(
            "{host}:{}:{:08x}",
            std::process::id(),
            rand::random::<u32>()
        );
        Ok(Worker {
            stopping: Arc::default(),
            pool,
            mailer,
            settings,
            id,
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn describe(&self) -> &str {
        self.mailer.describe()
    }

    /// Claims one batch and delivers it, one message at a time, recording each
    /// outcome as soon as it is known: at most one accepted-but-unrecorded message is at
    /// stake if the process dies. Returns how many alerts it settled.
    pub fn deliver_batch(&self) -> Result<usize, AppError> {
        let lease = TimeDelta::from_std(self.settings.lease).unwrap_or(TimeDelta::seconds(120));
        // Send only with time left on the lease for the send to finish: past it,
        // another worker may already have claimed the alert.
        let margin = TimeDelta::from_std(self.settings.lease / 2).unwrap_or(lease);
        let claimed = {
            let mut conn = self.pool.get().map_err(beacon_db::DbError::from)?;
            alerts::claim(
                &mut conn,
                &self.id,
                beacon_db::now(),
                lease,
                self.settings.batch,
            )?
        };
        let mut settled = 0;
        for (done, alert) in claimed.iter().enumerate() {
            if self.stopping.load(Ordering::SeqCst) {
                let rest: Vec<i64> = claimed[done..].iter().map(|a| a.id).collect();
                let mut conn = self.pool.get().map_err(beacon_db::DbError::from)?;
                let given_back = beacon_db::alerts::release(&mut conn, &self.id, &rest)?;
                tracing::info!(worker = %self.id, alerts = given_back, "stopping: gave back the rest of the batch");
                break;
            }
            let nearly_over = alert
                .lease_until
                .is_none_or(|until| beacon_db::now() + margin > until);
            if nearly_over {
                tracing::warn!(
                    worker = %self.id,
                    alerts = claimed.len() - done,
                    "lease nearly over: leaving the rest of the batch for the next claim"
                );
                break;
            }
            let outcome = self.mailer.send(alert);
            let mut conn = self.pool.get().map_err(beacon_db::DbError::from)?;
            settled += self.record(&mut conn, std::slice::from_ref(alert), &[outcome])?;
        }
        Ok(settled)
    }

    /// Records outcomes: sent, due again after a backoff, or failed for good. Returns
    /// how many the worker still held.
    fn record(
        &self,
        conn: &mut beacon_db::DbConnection,
        group: &[Alert],
        outcomes: &[Result<String, crate::mail::MailError>],
    ) -> Result<usize, AppError> {
        let errors: Vec<String> = outcomes
            .iter()
            .map(|outcome| {
                outcome
                    .as_ref()
                    .err()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            })
            .collect();
        let mut settled = Vec::with_capacity(group.len());
        for ((alert, outcome), error) in group.iter().zip(outcomes).zip(&errors) {
            let recorded = match outcome {
                Ok(message_id) => Outcome::Sent { message_id },
                Err(_) => {
                    let attempts = alert.attempts;
                    let retry_at = (attempts < self.settings.max_attempts)
                        .then(|| beacon_db::now() + self.backoff(attempts));
                    if retry_at.is_none() {
                        tracing::error!(worker = %self.id, alert = alert.id, to = %alert.recipient, attempts, %error, "alert failed for good");
                    } else {
                        tracing::warn!(worker = %self.id, alert = alert.id, attempts, %error, "alert not delivered; will retry");
                    }
                    Outcome::Failed { error, retry_at }
                }
            };
            settled.push((alert.id, recorded));
        }
        let held = alerts::record_outcomes(conn, &self.id, &settled)?;
        for ((id, _), held) in settled.iter().zip(&held) {
            if !held {
                tracing::warn!(
                    worker = %self.id,
                    alert = id,
                    "the alert's lease ended before its outcome was recorded; another worker holds it"
                );
            }
        }
        Ok(held.iter().filter(|held| **held).count())
    }

    /// The delay before the next try after `attempts` failures: doubling from the base,
    /// at most an hour, with jitter so that alerts that failed together (a server down)
    /// do not all come back at once.
    fn backoff(&self, attempts: u32) -> TimeDelta {
        let full = beacon_core::alert::retry_delay(self.settings.backoff, attempts);
        let full = u64::try_from(full.as_millis()).unwrap_or(u64::MAX).max(1);
        let jittered = rand::random_range(full / 2..=full);
        TimeDelta::milliseconds(i64::try_from(jittered).unwrap_or(i64::MAX))
    }

    /// Writes reminders for programmes whose status report is overdue.
    pub fn sweep_reminders(&self) -> Result<usize, AppError> {
        let mut conn = self.pool.get().map_err(beacon_db::DbError::from)?;
        alerts::sweep_reminders(
            &mut conn,
            &self.settings.rules.policy(),
            beacon_db::now(),
            self.settings.cadence_days,
        )
    }

    /// Works until `stop` says so (or its sender is dropped): delivers batch after
    /// batch while there is work, and looks again every poll interval when there is
    /// none. Database errors are logged and retried: the worker outlives an outage.
    pub fn run(self, stop: mpsc::Receiver<()>) {
        tracing::info!(worker = %self.id, via = %self.mailer.describe(), "alert worker started");
        let mut next_sweep = Instant::now();
        loop {
            if Instant::now() >= next_sweep {
                match self.sweep_reminders() {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(reminders = n, "wrote overdue-report reminders"),
                    Err(error) => tracing::error!(%error, "cannot sweep for overdue reports"),
                }
                next_sweep = Instant::now() + REMINDER_SWEEP;
            }
            let busy = match self.deliver_batch() {
                Ok(settled) => settled > 0,
                Err(error) => {
                    tracing::error!(worker = %self.id, %error, "cannot deliver alerts");
                    false
                }
            };
            let wait = if busy {
                Duration::ZERO
            } else {
                self.settings.poll
            };
            if self.stopping.load(Ordering::SeqCst) {
                break;
            }
            match stop.recv_timeout(wait) {
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        tracing::info!(worker = %self.id, "alert worker stopped");
    }
}

/// A worker running on its own thread; dropping the handle stops it after the alert
/// in hand, its other claims given back, and waits for it.
pub struct WorkerHandle {
    stop: Option<mpsc::Sender<()>>,
    stopping: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl WorkerHandle {
    pub fn spawn(worker: Worker) -> std::io::Result<Self> {
        let stopping = Arc::clone(&worker.stopping);
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("beacon-alert-worker".to_string())
            .spawn(move || worker.run(stopped))?;
        Ok(WorkerHandle {
            stop: Some(stop),
            stopping,
            thread: Some(thread),
        })
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
