//! The payer: queues the payout of each delivered mobile-money order (the collected amount
//! less `commission_bps`), sends it as a transfer under its recorded reference, retries with
//! doubling pauses, and settles it `paid` or `failed` from the provider's status.
//!
//! Never twice: an attempt is counted in the database before the transfer is sent. A queued
//! payout with attempts behind it has an unknown outcome (the process may have died between
//! the call and the write, or the call timed out), so its status is read by the same
//! reference first, and it is sent again only when the provider has never heard of it (and
//! even then under the same reference, which the provider takes at most once).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::Notify;

use super::collector::Collector;
use super::provider::{PaymentProvider, ProviderError, ProviderStatus, Reference, TransferRequest};
use crate::domain::{Amount, Msisdn, PayoutStatus};
use crate::error::Result;
use crate::models::Payout;
use crate::store::{PayoutOutcome, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayoutConfig {
    /// The marketplace's commission in basis points of the collected amount (250 = 2.5 %),
    /// rounded down in the seller's favour. `GASSTOCK_COMMISSION_BPS`, default 0.
    pub commission_bps: u32,
    pub batch: i64,
    /// The pause after the first attempt without a final word; it doubles up to `retry_cap`.
    pub retry_base: Duration,
    pub retry_cap: Duration,
}

impl Default for PayoutConfig {
    fn default() -> Self {
        PayoutConfig {
            commission_bps: 0,
            batch: 64,
            retry_base: Duration::from_secs(5),
            retry_cap: Duration::from_secs(600),
        }
    }
}

/// `collected x bps / 10,000`, rounded down; never more than `collected`.
pub fn commission(collected: i64, bps: u32) -> i64 {
    let exact = i128::from(collected.max(0)) * i128::from(bps.min(10_000)) / 10_000;
    i64::try_from(exact).unwrap_or(collected)
}

#[derive(Debug, Clone)]
pub struct Payer {
    store: Store,
    provider: Arc<dyn PaymentProvider>,
    config: PayoutConfig,
}

impl Payer {
    pub fn new(store: Store, provider: Arc<dyn PaymentProvider>, config: PayoutConfig) -> Payer {
        Payer { store, provider, config }
    }

    /// Queues the payouts now owed; returns how many this call queued.
    pub async fn queue(&self) -> Result<usize> {
        let mut queued = 0;
        for candidate in self.store.payout_candidates(self.config.batch).await? {
            // Commission is taken on what the seller earned (gas and delivery), not on the deposit.
            let commission = commission(candidate.2 - candidate.3, self.config.commission_bps);
            queued += usize::from(self.store.queue_payout(candidate, commission).await?.is_some());
        }
        Ok(queued)
    }

    fn backoff(&self, attempts: i64) -> chrono::DateTime<Utc> {
        let doubled = self.config.retry_base.saturating_mul(1 << attempts.clamp(0, 20) as u32);
        Utc::now() + chrono::Duration::from_std(doubled.min(self.config.retry_cap)).unwrap_or_default()
    }

    /// Works every due payout once; returns how many were settled.
    pub async fn process_due(&self) -> Result<usize> {
        let mut settled = 0;
        for payout in self.store.due_payouts(Utc::now(), self.config.batch).await? {
            match self.process(&payout).await {
                Ok(done) => settled += usize::from(done),
                Err(err) => tracing::warn!(payout = payout.id, error = %err, "payout attempt failed"),
            }
        }
        Ok(settled)
    }

    async fn settle(&self, payout: &Payout, outcome: PayoutOutcome) -> Result<bool> {
        Ok(self.store.settle_payout(payout.id, outcome).await?.is_some())
    }

    /// One step of one payout; `true` when it was settled.
    async fn process(&self, payout: &Payout) -> Result<bool> {
        let reference: Reference = payout.reference.parse()?;
        let unknown = payout.status == PayoutStatus::Sent || payout.attempts > 0;
        if unknown {
            match self.provider.transfer_status(&reference).await {
                Ok(ProviderStatus::Successful { transaction_id }) => {
                    return self.settle(payout, PayoutOutcome::Paid { transaction_id }).await
                }
                Ok(ProviderStatus::Failed { reason }) => {
                    return self.settle(payout, PayoutOutcome::Failed { reason }).await
                }
                Ok(ProviderStatus::Pending) => {
                    let next = self.backoff(payout.attempts);
                    if payout.status == PayoutStatus::Queued {
                        self.store.payout_sent(payout.id, next).await?;
                    } else {
                        self.store.defer_payout(payout.id, next, "pending at the provider").await?;
                    }
                    return Ok(false);
                }
                // Never taken: it is safe to send (under the same reference).
                Err(ProviderError::NotFound(_)) if payout.status == PayoutStatus::Queued => {}
                Err(err) => {
                    self.store.defer_payout(payout.id, self.backoff(payout.attempts), &err.to_string()).await?;
                    return Ok(false);
                }
            }
        }
        let Some(phone) = self.store.payout_phone(payout.seller_id).await? else {
            let reason = "the seller has no payout_phone".to_owned();
            return self.settle(payout, PayoutOutcome::Failed { reason }).await;
        };
        let Some(claimed) = self.store.begin_payout_attempt(payout, self.backoff(payout.attempts)).await? else {
            return Ok(false); // another instance is on it
        };
        let transfer = TransferRequest {
            amount: Amount::stored(claimed.amount, "amount")?,
            currency: claimed.currency,
            payee: phone.parse::<Msisdn>()?,
            external_id: claimed.reference.clone(),
            message: format!("gasstock payout, order {}", claimed.order_id),
        };
        match self.provider.transfer(&reference, &transfer).await {
            Ok(()) => {
                self.store.payout_sent(claimed.id, Utc::now()).await?;
                Ok(false)
            }
            Err(ProviderError::Refused(why)) => {
                self.settle(&claimed, PayoutOutcome::Failed { reason: format!("refused: {why}") }).await
            }
            Err(err) => {
                // The outcome is unknown: the next attempt reads the status first.
                self.store.defer_payout(claimed.id, claimed.next_attempt_at, &err.to_string()).await?;
                Ok(false)
            }
        }
    }

    pub async fn run_once(&self) -> Result<()> {
        self.queue().await?;
        self.process_due().await?;
        Ok(())
    }
}

/// The payments background task: a collector round then a payer round, every `interval` and
/// at once when `wake` is notified (an invoice approved, a retry asked for, a delivery).
pub async fn run_payments(
    collector: Collector,
    payer: Payer,
    interval: Duration,
    wake: Arc<Notify>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        if let Err(err) = collector.run_once().await {
            tracing::warn!(error = %err, "payment collection round failed");
        }
        if let Err(err) = payer.run_once().await {
            tracing::warn!(error = %err, "payout round failed");
        }
        tokio::select! {
            _ = &mut shutdown => return,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(interval) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commission_rounds_down_and_never_exceeds_the_amount() {
        assert_eq!(commission(31_000, 0), 0);
        assert_eq!(commission(31_000, 250), 775);
        assert_eq!(commission(999, 250), 24);
        assert_eq!(commission(1_000, 10_000), 1_000);
        assert_eq!(commission(1_000, 50_000), 1_000, "capped at 100 %");
        assert_eq!(commission(i64::MAX, 9_999), i64::MAX / 10_000 * 9_999 + (i64::MAX % 10_000) * 9_999 / 10_000);
    }
}
