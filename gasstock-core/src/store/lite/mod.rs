//! SQLite without a conversation: the store's own threads own rusqlite connections, and a
//! request's whole store operation (an order's reservation, its row, its event and
//! notifications; a page and its count) runs as ONE job on one of them.
//!
//! sqlx's SQLite driver runs each statement, and fetches each row, as a message to a worker
//! thread and back; an order was six statements, and the benchmark's profile showed 75% of
//! the server's time in the kernel's scheduler (BENCHMARKS.md). Here a job is a closure sent
//! once and answered once.
//!
//! - **Writes**: one writer thread. It takes every job waiting in its queue (up to
//!   [`MAX_BATCH`]) and commits them in ONE transaction, each inside its own savepoint, so that
//!   a refused job (insufficient stock) rolls back alone while the others commit. Each job's
//!   caller hears its answer only after the commit, so a 201 is never sent for an order that
//!   a crash could lose. With `synchronous=FULL`, the durable default, the batch shares one
//!   fsync: group commit is what makes durability affordable.
//! - **Reads**: a few reader threads, read-only connections (WAL: readers never wait for the
//!   writer), one snapshot per job.
//! - **Jobs are the store's ordinary async code**: the same functions that run on PostgreSQL
//!   over sqlx. On a SQLite connection every statement completes synchronously, so the job's
//!   future finishes in a single poll on the owning thread ([`run_now`]).
//! - Seeding and bulk import (the CLI's) use a connection of their own beside these
//!   ([`Lite::open_session`]) and take turns with the writer thread on the write lock.

mod exec;

use std::cell::Cell;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use rusqlite::{Connection, OpenFlags};
use tokio::sync::{oneshot, watch};

use super::StoreConfig;
use crate::error::{Error, Result};
pub(crate) use exec::{execute, fetch, LiteTx};

/// Most jobs one write transaction commits together. A batch waits for nothing: it is
/// whatever queued while the previous one committed, so under light load each job commits
/// alone, and under heavy load one fsync serves many.
pub(crate) const MAX_BATCH: usize = 256;

/// Page cache per connection (negative: KiB). Every connection has its own, inside the
/// process: at 16 MiB each, the server's RSS grew to ~63 MiB on the benchmark's data set
/// (BENCHMARKS.md). Pages missing from it come from the OS page cache.
const WRITER_CACHE_KIB: i64 = -8192;
const READER_CACHE_KIB: i64 = -4096;

/// Prepared statements kept per connection: every query text of the store fits.
const STATEMENT_CACHE: usize = 256;

/// A job's future, borrowing the connection it runs on.
pub(crate) type JobFuture<'c, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'c>>;

/// Polls a job's future once: SQLite statements never wait, so it is done, unless a job
/// awaited something else (a bug: jobs touch nothing but their connection).
pub(crate) fn run_now<T>(mut job: JobFuture<'_, T>) -> Result<T> {
    match job.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(result) => result,
        Poll::Pending => Err(Error::internal("a SQLite job waited on something other than its connection")),
    }
}

thread_local! {
    /// Set by a unit of work on the writer thread that wrote notifications ([`announce`]);
    /// the batch signals the watchers once it has committed.
    static ANNOUNCED: Cell<bool> = const { Cell::new(false) };
}

/// Called by a write that added notifications: once its batch commits, this process's
/// notification watchers wake up (see `store::wakeups`).
pub(crate) fn announce() {
    ANNOUNCED.set(true);
}

/// Tells a unit's caller its answer, given why the batch's commit failed, if it did.
type Deliver = Box<dyn FnOnce(Option<&str>) + Send>;

/// What a unit of work said, and how to tell its caller once the batch's fate is known.
pub(crate) struct Ran {
    ok: bool,
    deliver: Deliver,
}

impl Ran {
    /// `result` goes to `reply` after the commit; a failed commit turns a success into that
    /// failure (a refusal stays what it was: nothing of it was to be kept).
    pub fn new<T: Send + 'static>(result: Result<T>, reply: oneshot::Sender<Result<T>>) -> Self {
        let ok = result.is_ok();
        let deliver = Box::new(move |commit_failure: Option<&str>| {
            let answer = match commit_failure {
                Some(cause) if ok => Err(Error::internal(format!("database: commit failed: {cause}"))),
                _ => result,
            };
            // The caller may be gone (its client hung up); the work stands either way.
            let _ = reply.send(answer);
        });
        Ran { ok, deliver }
    }
}

type Unit = Box<dyn FnOnce(std::result::Result<&Mutex<Connection>, &str>) -> Ran + Send>;
type Read = Box<dyn FnOnce(&Mutex<Connection>) + Send>;

pub(crate) enum WriteJob {
    /// Runs inside the batch's transaction, in a savepoint of its own.
    Unit(Unit),
    /// Ends the thread after what was queued before it; the sender hears when the
    /// connection is closed.
    Stop(oneshot::Sender<()>),
}

pub(crate) enum ReadJob {
    Run(Read),
    Stop(oneshot::Sender<()>),
}

/// What group commit has done since the store opened (SQLite only): how many write
/// transactions served how many units of work.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupCommitStats {
    /// Write transactions committed (or rolled back) by the writer thread.
    pub batches: u64,
    /// Units of work they carried.
    pub units: u64,
    /// Units refused (rolled back to their savepoint, or alone).
    pub refused: u64,
    /// Batches in which some units were refused and others committed.
    pub mixed_batches: u64,
    /// The most units one transaction carried.
    pub largest_batch: u64,
    /// Units waiting in the queue right now.
    pub queued: u64,
}

#[derive(Debug, Default)]
struct Counters {
    batches: AtomicU64,
    units: AtomicU64,
    refused: AtomicU64,
    mixed_batches: AtomicU64,
    largest_batch: AtomicU64,
}

impl Counters {
    fn count(&self, units: usize, refused: usize) {
        let (units, refused) = (units as u64, refused as u64);
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.units.fetch_add(units, Ordering::Relaxed);
        self.refused.fetch_add(refused, Ordering::Relaxed);
        if refused > 0 && refused < units {
            self.mixed_batches.fetch_add(1, Ordering::Relaxed);
        }
        self.largest_batch.fetch_max(units, Ordering::Relaxed);
    }
}

/// The engine: queues to the writer thread and the reader threads.
#[derive(Debug, Clone)]
pub(crate) struct Lite {
    counters: Arc<Counters>,
    /// Bumped after each commit of notifications (the watchers' wake-up).
    announced: Arc<watch::Sender<u64>>,
    writes: flume::Sender<WriteJob>,
    reads: flume::Sender<ReadJob>,
    readers: u32,
    path: std::path::PathBuf,
    config: StoreConfig,
}

fn stopped() -> Error {
    Error::internal("the SQLite store is closed")
}

impl Lite {
    /// Starts the threads on the database file at `path` (already migrated).
    pub fn start(path: &Path, config: &StoreConfig) -> Result<Self> {
        let writer = open(path, config, false)?;
        let (writes, write_queue) = flume::unbounded();
        let counters = Arc::new(Counters::default());
        let counted = counters.clone();
        let announced = Arc::new(watch::Sender::new(0u64));
        let signal = announced.clone();
        spawn("gasstock-sqlite-writer", move || write_loop(writer, write_queue, &counted, &signal))?;
        let (reads, read_queue) = flume::unbounded();
        let readers = config.sqlite_read_connections.max(1);
        for n in 0..readers {
            let reader = open(path, config, true)?;
            let queue = read_queue.clone();
            spawn(&format!("gasstock-sqlite-reader-{n}"), move || read_loop(reader, queue))?;
        }
        Ok(Lite { counters, announced, writes, reads, readers, path: path.to_owned(), config: config.clone() })
    }

    /// Changes after every commit that wrote notifications.
    pub fn announcements(&self) -> watch::Receiver<u64> {
        self.announced.subscribe()
    }

    pub async fn write(&self, job: WriteJob) -> Result<()> {
        self.writes.send_async(job).await.map_err(|_| stopped())
    }

    /// The reader connections and the writer's.
    pub fn connections(&self) -> u64 {
        u64::from(self.readers) + 1
    }

    /// Jobs waiting for the reader threads or the writer thread.
    pub fn queued(&self) -> u64 {
        (self.reads.len() + self.writes.len()) as u64
    }

    pub fn stats(&self) -> GroupCommitStats {
        let c = &self.counters;
        GroupCommitStats {
            batches: c.batches.load(Ordering::Relaxed),
            units: c.units.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
            mixed_batches: c.mixed_batches.load(Ordering::Relaxed),
            largest_batch: c.largest_batch.load(Ordering::Relaxed),
            queued: self.writes.len() as u64,
        }
    }

    /// A writing connection beside the threads', for bulk work on the calling task.
    pub fn open_session(&self) -> Result<Mutex<Connection>> {
        open(&self.path, &self.config, false)
    }

    pub async fn read(&self, job: Read) -> Result<()> {
        self.reads.send_async(ReadJob::Run(job)).await.map_err(|_| stopped())
    }

    /// A job's answer; a job that panicked dropped its reply.
    pub async fn answer<T>(answer: oneshot::Receiver<Result<T>>) -> Result<T> {
        answer.await.unwrap_or_else(|_| Err(Error::internal("a SQLite job failed without an answer")))
    }

    /// Stops the threads once they have finished what is queued. The writer's connection
    /// closes last, which checkpoints the WAL into the database file. Later calls on any
    /// clone of the store answer that it is closed.
    pub async fn close(&self) {
        let mut closed = Vec::new();
        for _ in 0..self.readers {
            let (done, finished) = oneshot::channel();
            if self.reads.send_async(ReadJob::Stop(done)).await.is_ok() {
                closed.push(finished);
            }
        }
        for finished in closed {
            let _ = finished.await;
        }
        let (done, finished) = oneshot::channel();
        if self.writes.send_async(WriteJob::Stop(done)).await.is_ok() {
            let _ = finished.await;
        }
    }
}

fn spawn(name: &str, body: impl FnOnce() + Send + 'static) -> Result<()> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(body)
        .map(drop)
        .map_err(|err| Error::internal(format!("cannot start a SQLite thread: {err}")))
}

fn open(path: &Path, config: &StoreConfig, read_only: bool) -> Result<Mutex<Connection>> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags).map_err(exec::lite_error)?;
    conn.busy_timeout(config.sqlite_busy_timeout).map_err(exec::lite_error)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    let synchronous = if config.sqlite_synchronous_full { "FULL" } else { "NORMAL" };
    let cache = if read_only { READER_CACHE_KIB } else { WRITER_CACHE_KIB };
    conn.execute_batch(&format!(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = {synchronous}; PRAGMA cache_size = {cache};"
    ))
    .map_err(exec::lite_error)?;
    Ok(Mutex::new(conn))
}

fn run_batch_statement(conn: &Mutex<Connection>, statement: &str) -> std::result::Result<(), String> {
    exec::lock(conn).execute_batch(statement).map_err(|err| err.to_string())
}

fn write_loop(
    conn: Mutex<Connection>,
    queue: flume::Receiver<WriteJob>,
    counters: &Counters,
    announced: &watch::Sender<u64>,
) {
    while let Ok(first) = queue.recv() {
        let mut units = Vec::new();
        for job in std::iter::once(first).chain(queue.try_iter().take(MAX_BATCH - 1)) {
            match job {
                WriteJob::Stop(done) => {
                    commit_batch(&conn, units, counters, announced);
                    drop(conn);
                    let _ = done.send(());
                    return;
                }
                WriteJob::Unit(unit) => units.push(unit),
            }
        }
        commit_batch(&conn, units, counters, announced);
    }
}

/// One transaction for every unit of the batch, each in its own savepoint.
fn commit_batch(conn: &Mutex<Connection>, units: Vec<Unit>, counters: &Counters, announced: &watch::Sender<u64>) {
    if units.is_empty() {
        return;
    }
    ANNOUNCED.set(false);
    if let Err(cause) = run_batch_statement(conn, "BEGIN IMMEDIATE") {
        for unit in units {
            (unit(Err(&cause)).deliver)(None);
        }
        return;
    }
    let alone = units.len() == 1;
    let mut answers = Vec::with_capacity(units.len());
    for unit in units {
        if !alone {
            if let Err(cause) = run_batch_statement(conn, "SAVEPOINT unit") {
                answers.push(unit(Err(&cause)));
                continue;
            }
        }
        match catch_unwind(AssertUnwindSafe(|| unit(Ok(conn)))) {
            Ok(ran) => {
                if !alone {
                    let end = if ran.ok { "RELEASE unit" } else { "ROLLBACK TO unit; RELEASE unit" };
                    if let Err(cause) = run_batch_statement(conn, end) {
                        tracing::error!("SQLite savepoint failed: {cause}");
                    }
                }
                answers.push(ran);
            }
            // The job's reply is dropped with it: its caller hears of a failure.
            Err(_) => {
                tracing::error!("a SQLite write job panicked; its changes are rolled back");
                let _ = run_batch_statement(
                    conn,
                    if alone { "ROLLBACK; BEGIN IMMEDIATE" } else { "ROLLBACK TO unit; RELEASE unit" },
                );
            }
        }
    }
    let refused = answers.iter().filter(|ran| !ran.ok).count();
    counters.count(answers.len(), refused);
    // A lone refused job has nothing to keep.
    let end = if alone && answers.first().is_some_and(|ran| !ran.ok) { "ROLLBACK" } else { "COMMIT" };
    let failure = run_batch_statement(conn, end).err();
    if failure.is_some() {
        let _ = run_batch_statement(conn, "ROLLBACK");
    }
    // A refused unit may have announced too: one spare wake-up, never a missed one.
    if ANNOUNCED.take() && failure.is_none() && end == "COMMIT" {
        announced.send_modify(|n| *n = n.wrapping_add(1));
    }
    for ran in answers {
        (ran.deliver)(failure.as_deref());
    }
}

fn read_loop(conn: Mutex<Connection>, queue: flume::Receiver<ReadJob>) {
    while let Ok(job) = queue.recv() {
        let job = match job {
            ReadJob::Run(job) => job,
            ReadJob::Stop(done) => {
                drop(conn);
                let _ = done.send(());
                return;
            }
        };
        if catch_unwind(AssertUnwindSafe(|| job(&conn))).is_err() {
            tracing::error!("a SQLite read job panicked");
            let _ = run_batch_statement(&conn, "ROLLBACK");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_that_would_wait_is_an_error_not_a_hang() {
        let done: JobFuture<'_, i64> = Box::pin(async { Ok(7) });
        assert_eq!(run_now(done).unwrap(), 7);
        let waits: JobFuture<'_, i64> = Box::pin(async {
            std::future::pending::<()>().await;
            Ok(7)
        });
        assert!(matches!(run_now(waits), Err(Error::Internal(_))));
    }

    #[test]
    fn a_failed_commit_turns_successes_into_errors_and_leaves_refusals_alone() {
        let (reply, mut answer) = oneshot::channel::<Result<i64>>();
        (Ran::new(Ok(1), reply).deliver)(Some("disk I/O error"));
        assert!(matches!(answer.try_recv().unwrap(), Err(Error::Internal(cause)) if cause.contains("disk I/O")));
        let (reply, mut answer) = oneshot::channel::<Result<i64>>();
        (Ran::new(Err(Error::conflict("insufficient_stock", "none left")), reply).deliver)(Some("disk I/O error"));
        assert!(matches!(answer.try_recv().unwrap(), Err(Error::Conflict { code: "insufficient_stock", .. })));
    }
}
