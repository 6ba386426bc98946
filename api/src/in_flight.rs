//! How many requests the server has in hand, and when it last had one. Background work
//! in the same process (the alert worker) holds back while requests are queueing for
//! the CPU, paces itself while they keep arriving, and catches up once they ease.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long after the last request the server still counts as serving: under a steady
/// stream of short requests there is often none in hand at a given instant, yet the
/// next is a millisecond away.
const LATELY: Duration = Duration::from_millis(100);

#[derive(Debug)]
pub struct InFlight {
    count: AtomicUsize,
    /// Milliseconds from `started` to the latest request's arrival or end.
    last_ms: AtomicU64,
    started: Instant,
}

impl Default for InFlight {
    fn default() -> Self {
        InFlight {
            count: AtomicUsize::new(0),
            last_ms: AtomicU64::new(0),
            started: Instant::now(),
        }
    }
}

/// Counts one request for as long as it is held, however the request ends.
pub struct Counted(Arc<InFlight>);

impl InFlight {
    pub fn enter(self: &Arc<Self>) -> Counted {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.touch();
        Counted(Arc::clone(self))
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn touch(&self) {
        self.last_ms.store(self.now_ms(), Ordering::Relaxed);
    }

    /// A request in hand, or one that came or went in the last [`LATELY`].
    pub fn serving(&self) -> bool {
        self.count.load(Ordering::Relaxed) > 0
            || self
                .now_ms()
                .saturating_sub(self.last_ms.load(Ordering::Relaxed))
                < LATELY.as_millis() as u64
    }

    /// More requests in hand than the machine has cores to serve them.
    pub fn queueing(&self) -> bool {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        self.count.load(Ordering::Relaxed) > cores
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.touch();
        self.0.count.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serving_lasts_a_moment_past_the_last_request() {
        let requests = Arc::new(InFlight::default());
        std::thread::sleep(LATELY + Duration::from_millis(20));
        assert!(!requests.serving(), "nothing has come in");
        let request = requests.enter();
        assert!(requests.serving());
        drop(request);
        assert!(requests.serving(), "the next may be a millisecond away");
        std::thread::sleep(LATELY + Duration::from_millis(20));
        assert!(!requests.serving(), "quiet for longer than {LATELY:?}");
    }

    #[test]
    fn queueing_means_more_requests_than_cores() {
        let requests = Arc::new(InFlight::default());
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let mut held: Vec<Counted> = (0..cores).map(|_| requests.enter()).collect();
        assert!(!requests.queueing());
        held.push(requests.enter());
        assert!(requests.queueing());
        held.clear();
        assert!(!requests.queueing());
    }
}
