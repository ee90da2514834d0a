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

    /// One sweep; returns the orders this sweep expired.
    pub async fn run_once(&self) -> Result<Vec<Order>> {
        let now = Utc::now();
        let ago = |ttl: Duration| {
            chrono::Duration::from_std(ttl)
                .ok()
                .and_then(|ttl| now.checked_sub_signed(ttl))
                .unwrap_or(chrono::DateTime::<Utc>::MIN_UTC)
        };
        let candidates =
            self.store.expiry_candidates(ago(self.config.pending_ttl), ago(self.config.payment_ttl), self.config.batch);
        let mut expired = Vec::new();
        for (order_id, transition) in candidates.await? {
            if let Some(order) = self.store.expire_order(order_id, transition).await? {
                expired.push(order);
            }
        }
        Ok(expired)
    }

    /// Sweeps every [`ExpiryConfig::period`] until `shutdown`.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            if let Err(err) = self.run_once().await {
                tracing::warn!(error = %err, "expiry sweep failed");
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(self.config.period()) => {}
            }
        }
    }
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
