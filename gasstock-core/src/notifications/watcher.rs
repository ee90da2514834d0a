//! One watcher per server instance: it reads every new notification (of every user) in one
//! query, when woken and at least once per interval, and hands them to the hub, which fans
//! them out to the open streams of their recipients.
//!
//! Wake-ups ([`crate::store::Wakeups`]): on PostgreSQL a `NOTIFY` sent in the transaction of
//! the notification rows wakes the watcher of every instance at commit; on SQLite a write of
//! this process wakes it after its commit. The interval is the safety net: writes of another
//! SQLite process (the CLI), and anything sent while a PostgreSQL listener reconnected.
//! An idle stream costs no query and no wake-up here: with nothing new, the watcher runs one
//! query per interval for the whole instance.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::hub::{NotificationHub, StreamLimits};
use crate::error::Result;
use crate::store::{Store, Wakeups};

/// Notifications read per query.
const BATCH: i64 = 1000;

/// Reads new notifications and hands them to its hub until stopped.
#[derive(Debug)]
pub struct NotificationWatcher {
    store: Store,
    hub: NotificationHub,
    wakeups: Wakeups,
    interval: Duration,
}

impl NotificationWatcher {
    /// A hub bounded by `limits`, and the watcher that feeds it (run it with
    /// [`NotificationWatcher::run`]). Streams see what is committed from now on (and replay
    /// the past themselves); on PostgreSQL the listening connection is open when this returns.
    pub async fn start(store: &Store, limits: StreamLimits, interval: Duration) -> Result<(NotificationHub, Self)> {
        let wakeups = store.notification_wakeups().await?;
        let hub = NotificationHub::new(limits, store.max_notification_id().await?);
        let watcher = NotificationWatcher { store: store.clone(), hub: hub.clone(), wakeups, interval };
        Ok((hub, watcher))
    }

    /// Runs until `stop` resolves: reads what is new at each wake-up and each interval.
    pub async fn run(mut self, stop: impl Future<Output = ()>) {
        let mut stop = std::pin::pin!(stop);
        let mut failing = false;
        loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = self.wakeups.wait() => {}
                _ = tokio::time::sleep(self.interval) => {}
            }
            match self.catch_up().await {
                Ok(()) => failing = false,
                Err(err) => {
                    // Said once per outage; the next interval tries again.
                    if !failing {
                        tracing::warn!(%err, "notification watcher: cannot read new notifications");
                    }
                    failing = true;
                }
            }
        }
    }

    /// Reads everything new, in batches, and hands it out.
    async fn catch_up(&self) -> Result<()> {
        let mut after = self.hub.query_after();
        loop {
            let found = self.store.notifications_since(after, BATCH).await?;
            let full = found.len() as i64 == BATCH;
            let last = found.last().map(|found| found.notification.id);
            self.hub.deliver(found, Instant::now());
            match last {
                // More than a batch: go on after it (ids below it that are still missing are
                // read again at the next wake-up, until they settle).
                Some(id) if full => after = id,
                _ => return Ok(()),
            }
        }
    }
}
