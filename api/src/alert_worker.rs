//! The alert worker: claims due alerts from the outbox, sends them, and records what
//! happened; now and then it also writes overdue-report reminders. It runs on a thread
//! of its own inside `beacon serve`, or alone as `beacon worker`; any number may run on
//! one PostgreSQL database (see `beacon_db::alerts` for why none sends an alert twice).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use beacon_db::{DbError, Pool};
use chrono::TimeDelta;

use crate::config::AlertSettings;
use crate::in_flight::InFlight;
use crate::mail::Mailer;

/// Messages one worker has in flight at once; the SMTP pool keeps as many connections.
pub const SENDERS: usize = 4;

/// How often a worker sweeps for programmes whose report is overdue. Reminders are
/// days apart; the unique key makes a sweep by several workers harmless.
const REMINDER_SWEEP: Duration = Duration::from_secs(15 * 60);

/// The longest a worker inside the server holds back while requests are queueing:
/// alerts follow a burst of reports by seconds, and still go out while it lasts.
const HOLD_BACK: Duration = Duration::from_secs(5);

pub struct Worker {
    pool: Pool,
    mailer: Mailer,
    settings: AlertSettings,
    /// Names this worker's claims: host, process and a random part.
    id: String,
    /// The server's requests in hand, for a worker inside `beacon serve`.
    requests: Option<Arc<InFlight>>,
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
            pool,
            mailer,
            settings,
            id,
            requests: None,
        })
    }

    /// Makes the worker hold back while the server's requests are queueing for the
    /// CPU (up to [`HOLD_BACK`] at a time): a burst of status reports is served first,
    /// and its alerts follow it.
    pub fn yielding_to(mut self, requests: Arc<InFlight>) -> Self {
        self.requests = Some(requests);
        self
    }

    /// Waits while requests are queueing, up to [`HOLD_BACK`]; false when told to stop.
    fn hold_back(&self, stop: &mpsc::Receiver<()>) -> bool {
        let Some(requests) = &self.requests else {
            return true;
        };
        let until = Instant::now() + HOLD_BACK;
        while requests.queueing() && Instant::now() < until {
            match stop.recv_timeout(Duration::from_millis(20)) {
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => return false,
            }
        }
        true
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn describe(&self) -> &str {
        self.mailer.describe()
    }

    /// Claims one batch and delivers it; returns how many alerts it settled.
    ///
    /// Up to [`SENDERS`] messages are in flight at once, each on its own pooled SMTP
    /// connection: a send waits on the network (a round trip per SMTP command), not on
    /// this machine. Each sender records its message's outcome the moment it is known,
    /// so at most one accepted-but-unrecorded message per sender is at stake if the
    /// process dies.
    pub fn deliver_batch(&self) -> Result<usize, DbError> {
        let lease = TimeDelta::from_std(self.settings.lease).unwrap_or(TimeDelta::seconds(120));
        // Send only with time left on the lease for the send to finish: past it,
        // another worker may already have claimed the alert.
        let margin = TimeDelta::from_std(self.settings.lease / 2).unwrap_or(lease);
        let claimed = {
            let mut conn = self.pool.get()?;
            beacon_db::alerts::claim(
                &mut conn,
                &self.id,
                beacon_db::now(),
                lease,
                self.settings.batch,
            )?
        };
        if claimed.is_empty() {
            return Ok(0);
        }
        let queue = Mutex::new(claimed.into_iter());
        let results: Vec<Result<usize, DbError>> = std::thread::scope(|scope| {
            let senders: Vec<_> = (0..SENDERS)
                .map(|_| scope.spawn(|| self.send_from(&queue, margin)))
                .collect();
            senders
                .into_iter()
                .map(|sender| sender.join().unwrap_or(Ok(0)))
                .collect()
        });
        let mut settled = 0;
        for result in results {
            settled += result?;
        }
        Ok(settled)
    }

    /// One sender: takes alerts from the batch until it is empty or the lease runs low,
    /// sending each and recording its outcome at once.
    fn send_from(
        &self,
        queue: &Mutex<std::vec::IntoIter<beacon_db::models::AlertRow>>,
        margin: TimeDelta,
    ) -> Result<usize, DbError> {
        let mut settled = 0;
        loop {
            let next = queue.lock().ok().and_then(|mut q| q.next());
            let Some(alert) = next else {
                return Ok(settled);
            };
            if alert
                .lease_until
                .is_none_or(|until| beacon_db::now() + margin > until)
            {
                tracing::warn!(
                    worker = %self.id,
                    alert = alert.id,
                    "lease nearly over: leaving the rest of the batch for the next claim"
                );
                return Ok(settled);
            }
            let outcome = self.mailer.send(&alert);
            let mut conn = self.pool.get()?;
            if self.record(&mut conn, &alert, outcome)? {
                settled += 1;
            } else {
                tracing::warn!(
                    worker = %self.id,
                    alert = alert.id,
                    "the alert's lease ended before its outcome was recorded; another worker holds it"
                );
            }
        }
    }

    /// Records one send's outcome: sent, due again after a backoff, or failed for good.
    fn record(
        &self,
        conn: &mut beacon_db::DbConnection,
        alert: &beacon_db::models::AlertRow,
        outcome: Result<String, crate::mail::MailError>,
    ) -> Result<bool, DbError> {
        match outcome {
            Ok(message_id) => beacon_db::alerts::mark_sent(conn, alert.id, &self.id, &message_id),
            Err(error) => {
                let attempts = u32::try_from(alert.attempts).unwrap_or(u32::MAX);
                let retry_at = (attempts < self.settings.max_attempts)
                    .then(|| beacon_db::now() + self.backoff(attempts));
                if retry_at.is_none() {
                    tracing::error!(worker = %self.id, alert = alert.id, to = %alert.recipient, attempts, %error, "alert failed for good");
                } else {
                    tracing::warn!(worker = %self.id, alert = alert.id, attempts, %error, "alert not delivered; will retry");
                }
                beacon_db::alerts::mark_failed(
                    conn,
                    alert.id,
                    &self.id,
                    &error.to_string(),
                    retry_at,
                )
            }
        }
    }

    /// The delay before the next try after `attempts` failures: doubling from the base,
    /// at most an hour, with jitter so that alerts that failed together (a server down)
    /// do not all come back at once.
    fn backoff(&self, attempts: u32) -> TimeDelta {
        let base = self.settings.backoff.as_millis().min(3_600_000) as u64;
        let exponent = attempts.saturating_sub(1).min(20);
        let full = base.saturating_mul(1u64 << exponent).clamp(1, 3_600_000);
        let jittered = rand::random_range(full / 2..=full);
        TimeDelta::milliseconds(i64::try_from(jittered).unwrap_or(3_600_000))
    }

    /// Writes reminders for programmes whose status report is overdue.
    pub fn sweep_reminders(&self) -> Result<usize, DbError> {
        let mut conn = self.pool.get()?;
        beacon_db::alerts::queue_overdue_reminders(
            &mut conn,
            &self.settings.policy(),
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
            // A sweep writes too: it waits for a burst of requests like the deliveries.
            if !self.hold_back(&stop) {
                break;
            }
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
            match stop.recv_timeout(wait) {
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        tracing::info!(worker = %self.id, "alert worker stopped");
    }
}

/// A worker running on its own thread; dropping the handle stops it after the alert
/// in hand and waits for it.
pub struct WorkerHandle {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl WorkerHandle {
    pub fn spawn(worker: Worker) -> std::io::Result<Self> {
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("beacon-alert-worker".to_string())
            .spawn(move || {
                // Sending alerts waits for the CPU the requests leave: a burst of Red
                // reports is not slowed by mailing about them.
                crate::priority::lower_current_thread("the alert worker");
                worker.run(stopped)
            })?;
        Ok(WorkerHandle {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
