//! The expiry sweep: reservations do not live forever. A pending order not approved within
//! `pending_ttl` (GASSTOCK_PENDING_TTL, 72h) and a mobile-money order not paid within
//! `payment_ttl` (GASSTOCK_PAYMENT_TTL, 30m) of its request-to-pay become `expired`, with
//! their stock back, once each however many instances sweep (see `store/expiry.rs`).

use std::time::Duration;

use chrono::Utc;

use crate::error::Result;
use crate::models::Order;
use crate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryConfig {
    pub pending_ttl: Duration,
    pub payment_ttl: Duration,
    pub batch: i64,
}

impl Default for ExpiryConfig {
    fn default() -> Self {
        ExpiryConfig {
            pending_ttl: Duration::from_secs(72 * 3600),
            payment_ttl: Duration::from_secs(30 * 60),
            batch: 256,
        }
    }
}

impl ExpiryConfig {
    /// How often to sweep: a quarter of the shortest TTL, between 100 ms and 1 min, so that a
    /// short TTL (`3s`) takes effect within about a second.
    pub fn period(&self) -> Duration {
        (self.pending_ttl.min(self.payment_ttl) / 4).clamp(Duration::from_millis(100), Duration::from_secs(60))
    }
}

#[derive(Debug, Clone)]
pub struct Expirer {
    store: Store,
    config: ExpiryConfig,
}

impl Expirer {
    pub fn new(store: Store, config: ExpiryConfig) -> Expirer {
        Expirer { store, config }
    }

    /// One sweep of at most `batch` orders; returns the orders it expired.
    pub async fn run_once(&self) -> Result<Vec<Order>> {
        Ok(self.sweep().await?.expired)
    }

    /// Sweeps batch after batch until nothing is left to expire; returns how many expired.
    /// A backlog (an instance down for a day, a TTL shortened) clears at once instead of at
    /// `batch` orders per period.
    pub async fn run_until_drained(&self) -> Result<usize> {
        let mut total = 0;
        loop {
            let sweep = self.sweep().await?;
            total += sweep.expired.len();
            if !sweep.more_waiting {
                return Ok(total);
            }
        }
    }

    /// Drains every [`ExpiryConfig::period`] until `shutdown`. Shutdown may cut a drain
    /// between two orders: each order expires in its own transaction, and the next start
    /// sweeps what is left.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                biased;
                _ = &mut shutdown => return,
                drained = self.run_until_drained() => if let Err(err) = drained {
                    tracing::warn!(error = %err, "expiry sweep failed");
                },
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(self.config.period()) => {}
            }
        }
    }

    async fn sweep(&self) -> Result<Sweep> {
        let now = Utc::now();
        let ago = |ttl: Duration| {
            chrono::Duration::from_std(ttl)
                .ok()
                .and_then(|ttl| now.checked_sub_signed(ttl))
                .unwrap_or(chrono::DateTime::<Utc>::MIN_UTC)
        };
        let candidates = self
            .store
            .expiry_candidates(ago(self.config.pending_ttl), ago(self.config.payment_ttl), self.config.batch)
            .await?;
        let full = i64::try_from(candidates.len()).is_ok_and(|n| n >= self.config.batch);
        let mut expired = Vec::new();
        for (order_id, transition) in candidates {
            if let Some(order) = self.store.expire_order(order_id, transition).await? {
                expired.push(order);
            }
        }
        // A full batch that expired nothing was taken by another instance sweeping at the
        // same moment (or decided meanwhile): that instance drains the rest, and stopping
        // here cannot loop forever on candidates that never expire.
        let more_waiting = full && !expired.is_empty();
        Ok(Sweep { expired, more_waiting })
    }
}

/// What one batch did.
struct Sweep {
    expired: Vec<Order>,
    /// The batch was full and made progress: sweep again at once.
    more_waiting: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_follows_the_shortest_ttl() {
        assert_eq!(ExpiryConfig::default().period(), Duration::from_secs(60));
        let short = ExpiryConfig { payment_ttl: Duration::from_secs(3), ..ExpiryConfig::default() };
        assert_eq!(short.period(), Duration::from_millis(750));
        let tiny = ExpiryConfig { pending_ttl: Duration::ZERO, ..ExpiryConfig::default() };
        assert_eq!(tiny.period(), Duration::from_millis(100));
    }
}
