//! How many requests the server has in hand. Background work in the same process (the
//! alert worker) holds back while requests are queueing for the CPU, and catches up
//! once they ease.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug, Default)]
pub struct InFlight(AtomicUsize);

/// Counts one request for as long as it is held, however the request ends.
pub struct Counted(Arc<InFlight>);

impl InFlight {
    pub fn enter(self: &Arc<Self>) -> Counted {
        self.0.fetch_add(1, Ordering::Relaxed);
        Counted(Arc::clone(self))
    }

    /// At least one request in hand.
    pub fn serving(&self) -> bool {
        self.0.load(Ordering::Relaxed) > 0
    }

    /// More requests in hand than the machine has cores to serve them.
    pub fn queueing(&self) -> bool {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        self.0.load(Ordering::Relaxed) > cores
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.0.fetch_sub(1, Ordering::Relaxed);
    }
}
