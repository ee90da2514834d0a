//! How busy the database connections are, for the server's metrics: connections open, in
//! use, and units of work waiting for one. Counted process-wide (a process runs one store;
//! tests that open several see their sum).

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Backend, Store};
use crate::domain::WebhookDeliveryStatus;
use crate::error::Result;
use crate::store::db::Sql;

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

impl Store {
    /// The connections right now (see [`PoolStats`]).
    pub fn pool_stats(&self) -> PoolStats {
        match &self.backend {
            Backend::Sqlite { lite } => {
                let connections = lite.connections();
                let waiting = lite.queued();
                let in_use = IN_FLIGHT.load(Ordering::Relaxed).saturating_sub(waiting).min(connections);
                PoolStats { connections, in_use, waiting }
            }
            Backend::Postgres { pool } => {
                let connections = u64::from(pool.size());
                let idle = u64::try_from(pool.num_idle()).unwrap_or(u64::MAX);
                PoolStats {
                    connections,
                    in_use: connections.saturating_sub(idle),
                    waiting: ACQUIRING.load(Ordering::Relaxed),
                }
            }
        }
    }

    /// How many webhook deliveries are in `status` (the whole database: every instance's).
    pub async fn count_webhook_deliveries(&self, status: WebhookDeliveryStatus) -> Result<i64> {
        self.read_scalar(Sql::new("SELECT COUNT(*) FROM webhook_deliveries WHERE status = $1").bind(status.as_str()))
            .await
    }
}
