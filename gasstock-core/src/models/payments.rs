//! Mobile money (issue 12): a request-to-pay, an order's payment as the API shows it, the
//! seller's payout and the payouts report.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{CollectionStatus, Currency, PayoutStatus};

/// One mobile-money request-to-pay for an order, sent when its invoice is approved (and again,
/// under a new reference, each time the buyer retries a failed one).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Collection {
    pub id: i64,
    pub order_id: i64,
    /// The provider's `X-Reference-Id` (a UUID).
    pub reference: String,
    pub amount: i64,
    #[schema(value_type = String, example = "RWF")]
    pub currency: Currency,
    pub payer_phone: String,
    pub status: CollectionStatus,
    /// The provider's reason for a failure (`NOT_ENOUGH_FUNDS`, `APPROVAL_REJECTED`, ...).
    pub reason: Option<String>,
    pub provider_transaction_id: Option<String>,
    pub requested_at: DateTime<Utc>,
    /// When the provider accepted the request; `null` until then.
    pub sent_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// What a seller is paid for a delivered mobile-money order: the collected amount less the
/// marketplace's commission, sent to the seller's `payout_phone`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Payout {
    pub id: i64,
    pub order_id: i64,
    pub seller_id: i64,
    /// The transfer's `X-Reference-Id` (a UUID; a new one when an admin retries a failed payout).
    pub reference: String,
    /// The buyer's payment; `collected = amount + commission + deposit_held`.
    pub collected: i64,
    pub commission: i64,
    /// The cylinder deposits of a new-cylinder sale: kept by the marketplace, owed back to the
    /// buyer on return (`GET /deposits`), so neither paid out nor commissioned. 0 for a refill.
    pub deposit_held: i64,
    pub amount: i64,
    #[schema(value_type = String, example = "RWF")]
    pub currency: Currency,
    pub status: PayoutStatus,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last attempt did not settle it, or the provider's failure reason.
    pub last_error: Option<String>,
    pub provider_transaction_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `gasstock report payouts`: one seller's mobile-money money, in minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PayoutReportRow {
    pub seller_id: i64,
    pub seller_email: String,
    /// Collected from buyers for the seller's delivered orders.
    pub collected: i64,
    pub commission: i64,
    pub paid: i64,
    pub failed: i64,
    /// Owed and not paid yet (queued or sent).
    pub outstanding: i64,
}
