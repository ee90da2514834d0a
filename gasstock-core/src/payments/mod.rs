//! Money that moves through a mobile-money provider: the [`PaymentProvider`] port the
//! workflows call, and [`MomoProvider`], the adapter that speaks MTN MoMo's Open API over
//! HTTP (collection `requesttopay`, disbursement `transfer`).
//!
//! Every request carries a reference (a UUID v4, MoMo's `X-Reference-Id`) chosen by the
//! caller and recorded before the call, so a call whose answer was lost is never sent again
//! under a new name: the caller reads its status by the same reference instead.

mod collector;
mod expiry;
mod momo;
mod momo_config;
mod payouts;
mod provider;
mod workflow;

pub use collector::{Collector, CollectorConfig};
pub use expiry::{Expirer, ExpiryConfig};
pub use momo::MomoProvider;
pub use momo_config::{Credentials, MomoConfig, MOMO_ENV};
pub use payouts::{commission, run_payments, Payer, PayoutConfig};
pub use provider::{
    CollectionRequest, PaymentProvider, ProviderError, ProviderFuture, ProviderStatus, Reference, TransferRequest,
};
