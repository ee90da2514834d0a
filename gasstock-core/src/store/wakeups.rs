//! Wake-ups for the notification watchers: a signal that a committed write may have added
//! notifications, so that a watcher reads them now instead of at its next interval.
//!
//! - PostgreSQL: `events::record` sends `pg_notify` in the transaction of the notification
//!   rows, so it is delivered at commit (never for a rolled-back write) to every listening
//!   connection: every server instance on the database, and writes by the CLI too. The channel
//!   is named after the schema, so that databases sharing one cluster (the tests' schemas) do
//!   not wake each other. A lost listening connection is reconnected and counts as a wake-up
//!   (what was sent meanwhile is found by the catch-up read).
//! - SQLite: the writer thread signals after the batch that wrote notifications commits; only
//!   this process hears it, so writes by another process (the CLI) are found by the watcher's
//!   interval.
//!
//! A wake-up carries nothing: the watcher reads everything newer than what it has seen.

use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use tokio::sync::watch;

use crate::error::Result;

/// The PostgreSQL channel of the current schema's notifications (at most 63 bytes).
pub(crate) const PG_CHANNEL: &str = "'gasstock_' || md5(current_schema())";

/// How long a listener that cannot reach PostgreSQL waits before it tries again.
const RECONNECT_PAUSE: Duration = Duration::from_secs(1);

/// Signals that new notifications may have been committed.
#[derive(Debug)]
pub struct Wakeups {
    signal: watch::Receiver<u64>,
    /// The PostgreSQL listener's task, stopped with this value.
    listener: Option<tokio::task::AbortHandle>,
}

impl Wakeups {
    pub(crate) fn new(signal: watch::Receiver<u64>, listener: Option<tokio::task::AbortHandle>) -> Self {
        Wakeups { signal, listener }
    }

    /// Resolves at the next wake-up (at once if one came since the last call). Cancel-safe.
    /// Never resolves once the source is gone (the store closed): the watcher's interval
    /// still runs.
    pub async fn wait(&mut self) {
        if self.signal.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl Drop for Wakeups {
    fn drop(&mut self) {
        if let Some(listener) = self.listener.take() {
            listener.abort();
        }
    }
}

/// Listens on a connection of its own (not one of the pool's), with the pool's settings.
pub(crate) async fn listen_postgres(pool: &PgPool) -> Result<Wakeups> {
    // The schema, and so the channel, is the pool's (same connection options).
    let channel: String = sqlx::query_scalar(&format!("SELECT {PG_CHANNEL}")).fetch_one(pool).await?;
    let own = PgPoolOptions::new().max_connections(1).connect_lazy_with((*pool.connect_options()).clone());
    let mut listener = PgListener::connect_with(&own).await?;
    listener.listen(&channel).await?;
    let (signal, receiver) = watch::channel(0u64);
    let task = tokio::spawn(async move {
        let mut failing = false;
        loop {
            match listener.try_recv().await {
                // A notification, or a lost connection (reconnected at the next call): either
                // way the watcher reads what is new.
                Ok(_) => {
                    failing = false;
                    signal.send_modify(|n| *n = n.wrapping_add(1));
                }
                Err(err) => {
                    if !failing {
                        tracing::warn!(%err, "notification listener: PostgreSQL unreachable; streams rely on the poll interval");
                    }
                    failing = true;
                    tokio::time::sleep(RECONNECT_PAUSE).await;
                }
            }
        }
    });
    Ok(Wakeups::new(receiver, Some(task.abort_handle())))
}
