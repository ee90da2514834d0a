//! The port between the payment workflows and a mobile-money provider.
//!
//! Four calls, the four MoMo Open API operations the marketplace needs: ask a buyer to pay
//! (request-to-pay), read that request's status, send money to a seller (transfer), read
//! that transfer's status. A provider answers a status read with PENDING, SUCCESSFUL or
//! FAILED; anything else (a 5xx, a timeout, a refused connection) is a [`ProviderError`]
//! that says whether the request may have taken effect.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;

use crate::domain::{Amount, Currency, Msisdn};
use crate::error::Error;

/// What a provider call returns: boxed so that `Arc<dyn PaymentProvider>` works.
pub type ProviderFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ProviderError>> + Send + 'a>>;

/// The idempotency key of one request to the provider (`X-Reference-Id`): a UUID v4 in its
/// lower-case hyphenated form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference(String);

impl Reference {
    /// A fresh random reference.
    pub fn new() -> Reference {
        Reference(uuid::Uuid::new_v4().hyphenated().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Reference {
    fn default() -> Self {
        Reference::new()
    }
}

impl FromStr for Reference {
    type Err = Error;

    /// Only a UUID is accepted: a callback naming anything else is not ours.
    fn from_str(text: &str) -> Result<Self, Error> {
        uuid::Uuid::parse_str(text.trim())
            .map(|id| Reference(id.hyphenated().to_string()))
            .map_err(|_| Error::invalid("reference", format!("'{}' is not a UUID", text.trim().escape_debug())))
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A request-to-pay: debit `payer` by `amount`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionRequest {
    pub amount: Amount,
    pub currency: Currency,
    pub payer: Msisdn,
    /// The marketplace's own name for it (the order), MoMo's `externalId`.
    pub external_id: String,
    /// Shown in the payer's history.
    pub message: String,
}

/// A transfer (disbursement): credit `payee` with `amount`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRequest {
    pub amount: Amount,
    pub currency: Currency,
    pub payee: Msisdn,
    pub external_id: String,
    pub message: String,
}

/// A request's state at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderStatus {
    /// Accepted, not decided yet (the payer has not approved).
    Pending,
    /// Done; the provider's own transaction id when it gave one.
    Successful { transaction_id: Option<String> },
    /// Refused or failed; the provider's reason (`NOT_ENOUGH_FUNDS`, `APPROVAL_REJECTED`…).
    Failed { reason: String },
}

impl ProviderStatus {
    /// PENDING stays open; the other two are final.
    pub fn is_final(&self) -> bool {
        !matches!(self, ProviderStatus::Pending)
    }
}

/// Why a provider call did not give an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// No answer (timeout, connection lost, 5xx after the retries): the request may or may
    /// not have been taken. Read its status by the same reference before anything else.
    #[error("provider outcome unknown: {0}")]
    Unknown(String),
    /// The provider refused the request itself (4xx other than a duplicate): it was not
    /// taken, and sending it again unchanged will not help.
    #[error("provider refused the request: {0}")]
    Refused(String),
    /// The provider does not know this reference (a status read of a request it never took).
    #[error("provider does not know reference {0}")]
    NotFound(String),
}

/// A mobile-money provider. Sending the same reference twice must not move money twice: the
/// adapter treats the provider's "already exists" answer as acceptance.
pub trait PaymentProvider: Send + Sync + fmt::Debug {
    /// Asks `collection.payer` to approve a debit; `Ok` once the provider has accepted it.
    fn request_to_pay<'a>(
        &'a self,
        reference: &'a Reference,
        collection: &'a CollectionRequest,
    ) -> ProviderFuture<'a, ()>;
    /// The state of a request-to-pay.
    fn collection_status<'a>(&'a self, reference: &'a Reference) -> ProviderFuture<'a, ProviderStatus>;
    /// Sends money to `transfer.payee`; `Ok` once the provider has accepted it.
    fn transfer<'a>(&'a self, reference: &'a Reference, transfer: &'a TransferRequest) -> ProviderFuture<'a, ()>;
    /// The state of a transfer.
    fn transfer_status<'a>(&'a self, reference: &'a Reference) -> ProviderFuture<'a, ProviderStatus>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_uuids() {
        let fresh = Reference::new();
        assert_eq!(fresh.as_str().parse::<Reference>().unwrap(), fresh);
        assert_ne!(Reference::new(), fresh);
        let upper: Reference = "6F1D4E2A-8C3B-4A5D-9E7F-0A1B2C3D4E5F".parse().unwrap();
        assert_eq!(upper.as_str(), "6f1d4e2a-8c3b-4a5d-9e7f-0a1b2c3d4e5f");
        for bad in ["", "order-7", "6f1d4e2a-8c3b-4a5d-9e7f", "../../admin"] {
            assert!(bad.parse::<Reference>().is_err(), "{bad}");
        }
    }
}
