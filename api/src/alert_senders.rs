//! The alert worker's sending threads: started once with the worker, each with its own
//! pooled SMTP connection, at a low priority. Building and sending a message takes the
//! CPU that requests leave, while the worker's own thread, which takes the writers' turn
//! for its claims and outcomes, runs at the requests' priority: a low-priority thread
//! holding that turn would keep status reports waiting whenever the CPU is busy.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use beacon_db::models::AlertRow;

use crate::mail::{MailError, Mailer};

/// One thread and the two channels to it: an alert in, its outcome back.
struct Lane {
    alerts: mpsc::Sender<AlertRow>,
    outcomes: mpsc::Receiver<Result<String, MailError>>,
    thread: JoinHandle<()>,
}

pub struct Senders {
    lanes: Vec<Lane>,
}

impl Senders {
    /// `count` threads sending through `mailer`.
    pub fn start(mailer: &Arc<Mailer>, count: usize) -> std::io::Result<Senders> {
        let lanes = (0..count.max(1))
            .map(|n| {
                let (alerts, incoming) = mpsc::channel::<AlertRow>();
                let (done, outcomes) = mpsc::channel();
                let mailer = Arc::clone(mailer);
                let thread = std::thread::Builder::new()
                    .name(format!("beacon-alert-sender-{n}"))
                    .spawn(move || {
                        crate::priority::lower_current_thread("an alert sender");
                        for alert in incoming {
                            let outcome =
                                std::panic::catch_unwind(AssertUnwindSafe(|| mailer.send(&alert)))
                                    .unwrap_or_else(|_| {
                                        Err(MailError::Message("sending it panicked".to_string()))
                                    });
                            if done.send(outcome).is_err() {
                                break;
                            }
                        }
                    })?;
                Ok(Lane {
                    alerts,
                    outcomes,
                    thread,
                })
            })
            .collect::<std::io::Result<Vec<Lane>>>()?;
        Ok(Senders { lanes })
    }

    /// How many alerts [`Senders::send`] sends at once.
    pub fn width(&self) -> usize {
        self.lanes.len()
    }

    /// Sends up to [`Senders::width`] alerts at once, one per thread, and returns their
    /// outcomes in order once all are done.
    pub fn send(&self, group: &[AlertRow]) -> Vec<Result<String, MailError>> {
        let handed: Vec<bool> = group
            .iter()
            .zip(&self.lanes)
            .map(|(alert, lane)| lane.alerts.send(alert.clone()).is_ok())
            .collect();
        handed
            .iter()
            .zip(&self.lanes)
            .map(|(handed, lane)| {
                let outcome = if *handed {
                    lane.outcomes.recv().ok()
                } else {
                    None
                };
                outcome.unwrap_or_else(|| {
                    Err(MailError::Message(
                        "its sending thread has stopped".to_string(),
                    ))
                })
            })
            .collect()
    }
}

impl Drop for Senders {
    fn drop(&mut self) {
        for lane in self.lanes.drain(..) {
            // Closing the channel ends the thread's loop once the alert in hand is sent.
            drop(lane.alerts);
            let _ = lane.thread.join();
        }
    }
}
