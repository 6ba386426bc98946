//! How Beacon's writes to a SQLite database share its one write lock, and who copies the
//! write-ahead log back into the database file.
//!
//! A SQLite connection that begins a transaction after another connection has committed
//! drops every page it had cached, and its mapping of the file, and reads them again.
//! With writes spread over a pool's connections, each status report read the top pages
//! of every b-tree it touched afresh: about twenty reads of the log, and a new mapping of
//! the file with a page fault for each page read from it (README, "One connection
//! writes"). So every write of this process to a database runs on one connection kept
//! for it, the database's [`Writer`], whose cache stays valid from one write to the next.
//!
//! Writers wait for that connection in turn ([`Writer::take_turn`]); it is handed on the
//! moment the write before commits. (A writer that finds SQLite's own lock taken sleeps
//! in SQLite's busy handler, 1, 2, 5, 10 ms… at a time, however soon the lock is free;
//! that now only orders this process against others: `beacon worker`, the command line.)
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

use diesel::connection::TransactionManager;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sqlite::{Sqlite, SqliteConnection};
use diesel::{ConnectionError, QueryResult, RunQueryDsl};

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

/// Write transactions this process has committed on SQLite: the checkpointers' cue.
static COMMITS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Whether this thread holds a writer's turn: a write transaction opened inside it
    /// on another connection runs on that connection, rather than wait for itself.
    static HOLDING: Cell<bool> = const { Cell::new(false) };
}

/// The writer's connection (none until it is opened again after a failure); holding
/// its lock is a turn.
type Seat = parking_lot::Mutex<Option<DbConnection>>;

/// The connection every write of this process to one SQLite file runs on, and the
/// thread that checkpoints the file. Every pool of the process on the file shares it;
/// it closes, after a last checkpoint, when the last of them is dropped.
pub struct Writer {
    url: DatabaseUrl,
    seat: Arc<Seat>,
    _checkpointer: Option<Checkpointer>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").field("url", &self.url).finish()
    }
}

/// The writers open in this process, by the file SQLite names for their database.
static WRITERS: Mutex<Option<HashMap<String, Weak<Writer>>>> = Mutex::new(None);

impl Writer {
    /// The writer for the SQLite database at `url`, opened with `conn` (a new connection
    /// to it) if none is open in this process. None for PostgreSQL and for an in-memory
    /// database (each connection has a database of its own).
    pub fn for_database(
        url: &DatabaseUrl,
        mut conn: DbConnection,
    ) -> Result<Option<Arc<Writer>>, ConnectionError> {
        if matches!(url, DatabaseUrl::Sqlite(path) if path == ":memory:") {
            return Ok(None);
        }
        let DbConnection::Sqlite(sqlite) = &mut conn else {
            return Ok(None);
        };
        let file = MainFile
            .get_result::<String>(sqlite)
            .map_err(ConnectionError::CouldntSetupConfiguration)?;
        let mut writers = WRITERS.lock().unwrap_or_else(|e| e.into_inner());
        let writers = writers.get_or_insert_with(HashMap::new);
        writers.retain(|_, writer| writer.strong_count() > 0);
        if let Some(writer) = writers.get(&file).and_then(Weak::upgrade) {
            return Ok(Some(writer));
        }
        let seat = Arc::new(parking_lot::Mutex::new(Some(conn)));
        let writer = Arc::new(Writer {
            url: url.clone(),
            _checkpointer: Checkpointer::spawn(url.clone(), Arc::clone(&seat)),
            seat,
        });
        writers.insert(file, Arc::downgrade(&writer));
        Ok(Some(writer))
    }

    /// The writer of the database `conn` is on, when a pool of this process opened one,
    /// and this thread is not already writing (see [`HOLDING`]).
    pub(crate) fn of(conn: &mut SqliteConnection) -> QueryResult<Option<Arc<Writer>>> {
        if HOLDING.with(Cell::get) {
            return Ok(None);
        }
        let file: String = MainFile.get_result(conn)?;
        let writers = WRITERS.lock().unwrap_or_else(|e| e.into_inner());
        Ok(writers
            .as_ref()
            .and_then(|writers| writers.get(&file))
            .and_then(Weak::upgrade))
    }

    /// Waits for this process's other writes to the database to finish, for up to
    /// [`TURN_TIMEOUT`].
    pub(crate) fn take_turn(&self) -> QueryResult<Turn<'_>> {
        let seat = lock(&self.seat)?;
        HOLDING.with(|holding| holding.set(true));
        Ok(Turn {
            url: &self.url,
            seat,
        })
    }
}

/// A writer's turn, held until it is dropped.
pub(crate) struct Turn<'a> {
    url: &'a DatabaseUrl,
    seat: parking_lot::MutexGuard<'a, Option<DbConnection>>,
}

impl Turn<'_> {
    /// The writer's connection, opened again if the last write left it unusable (a
    /// rollback that failed, or a panic inside a transaction).
    pub(crate) fn connection(&mut self) -> QueryResult<&mut DbConnection> {
        // Diesel counts a connection left inside a transaction as broken.
        let usable = self.seat.as_mut().is_some_and(|conn| {
            !<DbConnection as diesel::Connection>::TransactionManager::is_broken_transaction_manager(conn)
        });
        let conn = match self.seat.take() {
            Some(conn) if usable => conn,
            _ => self.url.establish().map_err(|error| {
                diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UnableToSendCommand,
                    Box::new(format!(
                        "cannot open the database's write connection: {error}"
                    )),
                )
            })?,
        };
        Ok(self.seat.insert(conn))
    }

    /// Counts a commit, for the checkpointer.
    pub(crate) fn committed(&self) {
        COMMITS.fetch_add(1, Ordering::Relaxed);
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        // A write that panicked left its transaction open: closing the connection rolls
        // it back and lets go of SQLite's lock at once, not at the next write.
        if std::thread::panicking() {
            *self.seat = None;
        }
        HOLDING.with(|holding| holding.set(false));
    }
}

/// Takes the seat, for up to [`TURN_TIMEOUT`].
fn lock(seat: &Seat) -> QueryResult<parking_lot::MutexGuard<'_, Option<DbConnection>>> {
    seat.try_lock_for(TURN_TIMEOUT).ok_or_else(|| {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::Unknown,
            Box::new("database is locked: another write has taken too long".to_string()),
        )
    })
}

/// `SELECT file FROM pragma_database_list WHERE name = 'main'`: the file SQLite names
/// for a connection's database. Fixed text, so it is prepared once per connection: a
/// write asks it to find its writer.
#[derive(Debug, Clone, Copy)]
struct MainFile;

impl QueryFragment<Sqlite> for MainFile {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql("SELECT file FROM pragma_database_list WHERE name = 'main'");
        Ok(())
    }
}

impl Query for MainFile {
    type SqlType = diesel::sql_types::Text;
}

impl QueryId for MainFile {
    type QueryId = MainFile;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl RunQueryDsl<SqliteConnection> for MainFile {}

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

/// The thread that checkpoints one SQLite database, on a connection of its own; it
/// stops, after a last checkpoint, when its writer is dropped.
#[derive(Debug)]
struct Checkpointer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    fn spawn(url: DatabaseUrl, seat: Arc<Seat>) -> Option<Checkpointer> {
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("beacon-checkpointer".to_string())
            .spawn(move || run(&url, &seat, &stopped));
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

fn run(url: &DatabaseUrl, seat: &Seat, stop: &mpsc::Receiver<()>) {
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
            if let Err(error) = copy_log(connection, seat) {
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
fn copy_log(conn: &mut DbConnection, seat: &Seat) -> Result<(), diesel::result::Error> {
    let done = checkpoint(conn)?;
    if i64::from(done.log) >= RESTART_AT {
        let turn = lock(seat)?;
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
