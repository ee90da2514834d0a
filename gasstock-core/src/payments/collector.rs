//! The collector: sends recorded requests-to-pay and settles them from the provider's own
//! status reads. A callback is never trusted: [`Collector::check`] ignores what the callback
//! said and asks the provider about that reference, so a forged or replayed callback can at
//! most cause one extra status read.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::Notify;

use super::provider::{CollectionRequest, PaymentProvider, ProviderError, ProviderStatus, Reference};
use crate::domain::{Amount, Msisdn};
use crate::error::{Error, Result};
use crate::models::Collection;
use crate::store::{CollectionOutcome, Store};

/// How often open requests are polled (and unsent ones sent again), and how many per round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollectorConfig {
    pub poll_interval: Duration,
    pub batch: i64,
}

impl Default for CollectorConfig {
    fn default() -> Self {
        CollectorConfig { poll_interval: Duration::from_secs(5), batch: 64 }
    }
}

#[derive(Debug, Clone)]
pub struct Collector {
    store: Store,
    provider: Arc<dyn PaymentProvider>,
    config: CollectorConfig,
}

impl Collector {
    pub fn new(store: Store, provider: Arc<dyn PaymentProvider>, config: CollectorConfig) -> Collector {
        Collector { store, provider, config }
    }

    /// Sends every recorded, unsent request. The reference was written before this call, so
    /// a crash here leaves a row that the next round sends again under the same reference
    /// (the provider takes it once). Returns how many the provider accepted.
    pub async fn send_due(&self) -> Result<usize> {
        let mut accepted = 0;
        for collection in self.store.collections_to_send(self.config.batch).await? {
            let reference: Reference = collection.reference.parse()?;
            let request = CollectionRequest {
                amount: Amount::stored(collection.amount, "amount")?,
                currency: collection.currency,
                payer: collection.payer_phone.parse::<Msisdn>()?,
                // The reference again: a callback that carries only externalId still names it.
                external_id: collection.reference.clone(),
                message: format!("gasstock order {}", collection.order_id),
            };
            match self.provider.request_to_pay(&reference, &request).await {
                Ok(()) => {
                    self.store.mark_collection(collection.id, true).await?;
                    accepted += 1;
                }
                Err(ProviderError::Refused(why)) => {
                    let reason = format!("refused: {why}");
                    self.store.settle_collection(reference.as_str(), CollectionOutcome::Failed { reason }).await?;
                }
                // No answer: the next round sends it again under the same reference.
                Err(err) => tracing::warn!(reference = %reference, error = %err, "request-to-pay not confirmed"),
            }
        }
        Ok(accepted)
    }

    /// Reads the status of one of our references from the provider and settles it when
    /// final. `Ok(None)`: not ours, still pending, or already settled.
    pub async fn check(&self, reference: &Reference) -> Result<Option<Collection>> {
        let Some(collection) = self.store.collection_by_reference(reference.as_str()).await? else {
            return Ok(None);
        };
        // A request not confirmed as sent is read too (its answer may have been lost); a
        // 404 then only means the send is still to come.
        let outcome = match self.provider.collection_status(reference).await {
            Ok(ProviderStatus::Successful { transaction_id }) => CollectionOutcome::Collected { transaction_id },
            Ok(ProviderStatus::Failed { reason }) => CollectionOutcome::Failed { reason },
            Ok(ProviderStatus::Pending) => {
                self.store.mark_collection(collection.id, true).await?;
                return Ok(None);
            }
            Err(ProviderError::NotFound(_)) => return Ok(None),
            Err(err) => return Err(Error::internal(format!("payment provider: {err}"))),
        };
        self.store.settle_collection(reference.as_str(), outcome).await
    }

    /// Reads every open request not read within the poll interval (those without a
    /// callback, or whose callback was lost). Returns how many were settled.
    pub async fn poll_due(&self) -> Result<usize> {
        let since = Utc::now() - chrono::Duration::from_std(self.config.poll_interval).unwrap_or_default();
        let mut settled = 0;
        for collection in self.store.collections_to_check(since, self.config.batch).await? {
            let reference: Reference = collection.reference.parse()?;
            match self.check(&reference).await {
                Ok(Some(_)) => settled += 1,
                Ok(None) => {}
                Err(err) => tracing::warn!(reference = %reference, error = %err, "collection status not read"),
            }
        }
        Ok(settled)
    }

    /// One round: send, then poll.
    pub async fn run_once(&self) -> Result<()> {
        self.send_due().await?;
        self.poll_due().await?;
        Ok(())
    }

    /// Rounds until `shutdown`: every poll interval, and at once when `wake` is notified
    /// (an invoice approved, a retry asked for).
    pub async fn run(self, wake: Arc<Notify>, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            if let Err(err) = self.run_once().await {
                tracing::warn!(error = %err, "payment collector round failed");
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = wake.notified() => {}
                _ = tokio::time::sleep(self.config.poll_interval) => {}
            }
        }
    }
}
