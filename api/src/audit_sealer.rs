//! Links new audit entries into the hash chain shortly after they commit, on a thread
//! of its own inside `beacon serve`. On PostgreSQL writers only insert their entry;
//! chaining it in their own transaction would make each audited write wait for the one
//! before it to reach the disk. Anything that reads the trail seals first, so readers
//! never see the lag; several servers on one PostgreSQL take turns (see
//! `beacon_db::audit::seal`). On SQLite entries are linked as they are written, and
//! the sealer finds nothing to do.

use std::sync::mpsc;
use std::time::Duration;

use beacon_db::Pool;

/// How long a new entry waits, at most, before it is linked when nobody reads the trail.
const INTERVAL: Duration = Duration::from_millis(100);

/// The sealer's thread; dropping the handle seals what is pending one last time and
/// waits for it.
pub struct SealerHandle {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SealerHandle {
    pub fn spawn(pool: Pool) -> std::io::Result<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("beacon-audit-sealer".to_string())
            .spawn(move || {
                loop {
                    let last = matches!(
                        stopped.recv_timeout(INTERVAL),
                        Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected)
                    );
                    seal_pending(&pool);
                    if last {
                        break;
                    }
                }
            })?;
        Ok(SealerHandle {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

fn seal_pending(pool: &Pool) {
    let sealed = pool
        .get()
        .map_err(beacon_db::DbError::from)
        .and_then(|mut conn| beacon_db::audit::seal(&mut conn));
    match sealed {
        Ok(_) => {}
        // Nothing is lost: the entries stay pending and the next round tries again.
        Err(error) => tracing::error!(%error, "cannot link new audit entries into the chain"),
    }
}

impl Drop for SealerHandle {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
