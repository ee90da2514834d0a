//! How busy the database connections are: the counters the store keeps as units of work run
//! (process-wide: a process runs one store; tests that open several see their sum), and what
//! [`Store::pool_stats`](super::Store::pool_stats) reports.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

/// Units of work started and not yet answered.
static IN_FLIGHT: AtomicU64 = AtomicU64::new(0);
/// PostgreSQL: units waiting for a pooled connection.
static ACQUIRING: AtomicU64 = AtomicU64::new(0);

/// The connections of the store right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections open (SQLite: the readers and the writer).
    pub connections: u64,
    /// Connections running a unit of work.
    pub in_use: u64,
    /// Units of work waiting for a connection (SQLite: queued for the reader or writer
    /// threads; PostgreSQL: waiting for the pool).
    pub waiting: u64,
}

/// Units of work in flight now.
pub(super) fn in_flight() -> u64 {
    IN_FLIGHT.load(Ordering::Relaxed)
}

/// Units waiting for a pooled connection now.
pub(super) fn acquiring() -> u64 {
    ACQUIRING.load(Ordering::Relaxed)
}

/// Counts one unit of work in flight while it lives.
#[derive(Debug)]
pub(super) struct Unit;

impl Unit {
    pub(super) fn start() -> Unit {
        IN_FLIGHT.fetch_add(1, Ordering::Relaxed);
        Unit
    }
}

impl Drop for Unit {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::Relaxed);
    }
}

/// `acquire`, counted as waiting while it waits.
pub(super) async fn waiting<T>(acquire: impl Future<Output = T>) -> T {
    struct Waiting;
    impl Drop for Waiting {
        fn drop(&mut self) {
            ACQUIRING.fetch_sub(1, Ordering::Relaxed);
        }
    }
    ACQUIRING.fetch_add(1, Ordering::Relaxed);
    let _waiting = Waiting;
    acquire.await
}
