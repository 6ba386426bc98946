//! How Beacon's writers share SQLite's one write lock, and who copies the write-ahead
//! log back into the database file.
//!
//! A writer that finds SQLite's lock taken sleeps in SQLite's busy handler, 1, 2, 5,
//! 10 ms… at a time, however soon the lock is free again. Under steady traffic a status
//! report's p99 sat on those steps, and any extra work inside the lock pushed it up a
//! whole step. So the writers in one process take turns on a lock of their own
//! ([`take_turn`]), which hands the turn on the moment a writer commits; SQLite's busy
//! timeout still orders them against other processes (`beacon worker`, the command line).
//!
//! SQLite also copies the log into the database (a checkpoint, which syncs both files to
//! disk) from inside whichever commit takes the log past 1,000 pages: a request paid for
//! it, and while writers queue that would hold the turn. Beacon's connections leave that
//! to a [`Checkpointer`] thread per database, which copies the log every few
//! milliseconds beside the writers. Under writes that never pause, the log can then only
//! be started again from its beginning if nothing is added while the last pages are
//! copied, so past [`RESTART_AT`] pages the checkpointer copies them holding the turn.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak, mpsc};
use std::time::{Duration, Instant};

use diesel::RunQueryDsl;

use crate::connection::{DatabaseUrl, DbConnection};

/// As long as a writer waits for its turn before it gives up, like SQLite's
/// `busy_timeout` on the connection.
const TURN_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the checkpointer looks for committed pages to copy.
const TICK: Duration = Duration::from_millis(10);

/// How often it copies even when no write of this process was counted (another process,
/// or a write outside [`crate::write_transaction`], may have added to the log).
const IDLE_CHECKPOINT: Duration = Duration::from_secs(1);

/// The log's length, in pages (4 KiB each), past which the checkpointer copies the last
/// pages holding the writers' turn, so that the next writer starts the log again. Short
/// of it the log starts again by itself whenever writes pause for a few milliseconds.
pub const RESTART_AT: i64 = 16_384;

static TURN: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

/// Write transactions this process has committed on SQLite: the checkpointer's cue.
static COMMITS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Whether this thread holds the turn, so that a write transaction opened on a
    /// second connection inside the first does not wait for itself.
    static HOLDING: Cell<bool> = const { Cell::new(false) };
}

/// A writer's turn, held until it is dropped.
pub(crate) struct Turn {
    guard: Option<parking_lot::MutexGuard<'static, ()>>,
}

/// Waits for this process's other SQLite writers to finish, for up to [`TURN_TIMEOUT`].
/// A thread that already holds the turn gets it again at once.
pub(crate) fn take_turn() -> Result<Turn, diesel::result::Error> {
    if HOLDING.with(Cell::get) {
        return Ok(Turn { guard: None });
    }
    let guard = TURN.try_lock_for(TURN_TIMEOUT).ok_or_else(|| {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::Unknown,
            Box::new("database is locked: another write has taken too long".to_string()),
        )
    })?;
    HOLDING.with(|holding| holding.set(true));
    Ok(Turn { guard: Some(guard) })
}

impl Turn {
    /// Counts a commit, for the checkpointer.
    pub(crate) fn committed(&self) {
        COMMITS.fetch_add(1, Ordering::Relaxed);
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        if let Some(guard) = self.guard.take() {
            HOLDING.with(|holding| holding.set(false));
            drop(guard);
        }
    }
}

/// What `PRAGMA wal_checkpoint` answers.
#[derive(diesel::QueryableByName)]
struct Checkpointed {
    /// Pages in the log.
    #[diesel(sql_type = diesel::sql_types::Integer)]
    log: i32,
    /// Pages of it now in the database file.
    #[diesel(sql_type = diesel::sql_types::Integer)]
    checkpointed: i32,
}

/// Copies as much of the log into the database as no reader still needs, without
/// waiting for anyone.
fn checkpoint(conn: &mut DbConnection) -> Result<Checkpointed, diesel::result::Error> {
    diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result(conn)
}

/// The thread that checkpoints one SQLite database for every pool of this process on
/// it; it stops, after a last checkpoint, when the last of them is dropped.
#[derive(Debug)]
pub struct Checkpointer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    /// The checkpointer for the SQLite database at `url`, started if none runs yet.
    /// None for PostgreSQL and for an in-memory database (it has no log).
    pub fn for_database(url: &DatabaseUrl) -> Option<Arc<Checkpointer>> {
        static RUNNING: Mutex<Option<HashMap<String, Weak<Checkpointer>>>> = Mutex::new(None);
        let DatabaseUrl::Sqlite(path) = url else {
            return None;
        };
        if path == ":memory:" {
            return None;
        }
        let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
        let running = running.get_or_insert_with(HashMap::new);
        running.retain(|_, checkpointer| checkpointer.strong_count() > 0);
        if let Some(checkpointer) = running.get(path).and_then(Weak::upgrade) {
            return Some(checkpointer);
        }
        let checkpointer = Arc::new(Checkpointer::spawn(url.clone())?);
        running.insert(path.clone(), Arc::downgrade(&checkpointer));
        Some(checkpointer)
    }

    fn spawn(url: DatabaseUrl) -> Option<Checkpointer> {
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("beacon-checkpointer".to_string())
            .spawn(move || run(&url, &stopped));
        match thread {
            Ok(thread) => Some(Checkpointer {
                stop: Some(stop),
                thread: Some(thread),
            }),
            Err(error) => {
                tracing::error!(%error, "cannot start the SQLite checkpointer");
                None
            }
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(url: &DatabaseUrl, stop: &mpsc::Receiver<()>) {
    let mut conn = None;
    let mut seen = COMMITS.load(Ordering::Relaxed);
    let mut last = Instant::now();
    loop {
        let stopping = match stop.recv_timeout(TICK) {
            Err(mpsc::RecvTimeoutError::Timeout) => false,
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => true,
        };
        let commits = COMMITS.load(Ordering::Relaxed);
        if commits == seen && last.elapsed() < IDLE_CHECKPOINT && !stopping {
            continue;
        }
        seen = commits;
        last = Instant::now();
        if conn.is_none() {
            conn = url
                .establish()
                .map_err(|error| tracing::error!(%error, "the SQLite checkpointer cannot connect"))
                .ok();
        }
        if let Some(connection) = conn.as_mut() {
            if let Err(error) = copy_log(connection) {
                tracing::warn!(%error, "SQLite checkpoint failed; trying again");
                conn = None;
            }
        }
        if stopping {
            break;
        }
    }
}

/// One round: copy what can be copied beside the writers; past [`RESTART_AT`], copy the
/// rest holding the turn, so the log is complete in the database when the next writer
/// comes and it starts the log again.
fn copy_log(conn: &mut DbConnection) -> Result<(), diesel::result::Error> {
    let done = checkpoint(conn)?;
    if i64::from(done.log) >= RESTART_AT {
        let turn = take_turn()?;
        let started = Instant::now();
        let done = checkpoint(conn)?;
        drop(turn);
        tracing::debug!(
            log = done.log,
            checkpointed = done.checkpointed,
            held_ms = started.elapsed().as_secs_f64() * 1000.0,
            "copied the SQLite log holding the writers' turn"
        );
    }
    Ok(())
}
