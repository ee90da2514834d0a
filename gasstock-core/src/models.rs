//! What the store returns and the API shows. Field names are the JSON names of docs/api.md;
//! how each is read from a row is in `store/records.rs`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{
    Currency, InvoiceStatus, OrderKind, OrderStatus, PaymentMethod, PaymentStatus, Role, WebhookDeliveryStatus,
    WeightKg,
};

mod cylinders;
mod payments;
pub use cylinders::{CylinderReturn, DepositBalance, DepositEntry, PriceChange, StockMovement};
pub use payments::{Collection, Payout, PayoutReportRow};

/// A registered account. The password hash is never part of it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub phone: Option<String>,
    pub location: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A seller's stock of one kind of cylinder at one location.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StockItem {
    pub id: i64,
    pub seller_id: i64,
    pub seller_name: String,
    pub brand: String,
    #[schema(value_type = f64, example = 12)]
    pub weight_kg: WeightKg,
    pub location: String,
    /// Available (unreserved) full cylinders.
    pub quantity: i64,
    /// Empty cylinders the seller holds here (handed over on refills, returned, not yet refilled).
    pub empties: i64,
    /// Price of the gas in one cylinder in minor units of `currency`.
    pub unit_price: i64,
    /// Deposit for one cylinder sold new (`kind: "new"`), minor units; 0 by default.
    pub deposit: i64,
    /// Low-stock level set by the seller (`None`: none); the `stock.low` notice is not sent yet.
    pub low_stock_threshold: Option<i64>,
    #[schema(value_type = String, example = "RWF")]
    pub currency: Currency,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A buyer's order; brand, weight and unit price are frozen when it is placed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Order {
    pub id: i64,
    pub buyer_id: i64,
    pub seller_id: i64,
    pub inventory_id: i64,
    pub brand: String,
    #[schema(value_type = f64, example = 12)]
    pub weight_kg: WeightKg,
    pub location: String,
    pub quantity: i64,
    /// `refill` (the default: the buyer hands over empties) or `new` (the buyer keeps the cylinders).
    pub kind: OrderKind,
    pub unit_price: i64,
    /// quantity x unit price, plus `deposit_amount`.
    pub total_amount: i64,
    /// For a new-cylinder order, quantity x the item's deposit when it was placed; else 0.
    pub deposit_amount: i64,
    #[schema(value_type = String, example = "RWF")]
    pub currency: Currency,
    pub status: OrderStatus,
    pub delivery_address: Option<String>,
    pub note: Option<String>,
    /// The district it is delivered to, when the buyer named one (issue 13).
    pub delivery_district: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// `cash_on_delivery` (orders placed before mobile money existed are too) or `mobile_money`.
    pub payment_method: PaymentMethod,
    /// The MSISDN asked to pay, `+2507XXXXXXXX`; only for mobile money.
    pub payer_phone: Option<String>,
}

/// A seller's bill for an approved order; the amount is computed, never sent by a client.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Invoice {
    pub id: i64,
    pub order_id: i64,
    pub seller_id: i64,
    /// Order total plus delivery fee.
    pub amount: i64,
    pub delivery_fee: i64,
    /// The part of `amount` that is a refundable cylinder deposit (a liability, not a sale).
    pub deposit_amount: i64,
    #[schema(value_type = String, example = "RWF")]
    pub currency: Currency,
    pub status: InvoiceStatus,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Money released to the seller when delivery is confirmed; one per order.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Payment {
    pub id: i64,
    pub order_id: i64,
    pub invoice_id: i64,
    pub seller_id: i64,
    pub amount: i64,
    #[schema(value_type = String, example = "RWF")]
    pub currency: Currency,
    pub status: PaymentStatus,
    pub released_at: DateTime<Utc>,
}

/// `GET /orders/{id}/payment`: how an order is paid and where the money is.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OrderPayment {
    pub order_id: i64,
    pub payment_method: PaymentMethod,
    /// The latest request-to-pay (mobile money), `null` before the invoice is approved.
    pub collection: Option<Collection>,
    /// Every request-to-pay, oldest first.
    pub attempts: Vec<Collection>,
    /// Released on delivery.
    pub payment: Option<Payment>,
    /// The seller's payout (mobile money, after delivery): `null` until it is queued.
    pub payout: Option<Payout>,
}

/// A buyer's rating of a delivered order.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Feedback {
    pub id: i64,
    pub order_id: i64,
    pub buyer_id: i64,
    pub seller_id: i64,
    pub rating: i64,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A seller's average rating.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RatingSummary {
    pub seller_id: i64,
    pub count: i64,
    /// `None` until the first feedback.
    pub average: Option<f64>,
}

/// The result of confirming a delivery.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Delivery {
    pub order: Order,
    pub payment: Payment,
}

/// One status change, written in the same transaction as the change itself.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StatusEvent {
    pub id: i64,
    /// `order`, `invoice`, `payment` or `stock` (then `entity_id` is the stock item's id).
    pub entity: String,
    pub entity_id: i64,
    /// The order concerned; for a `stock` event, the order that caused it (`None` for an
    /// adjustment).
    pub order_id: Option<i64>,
    /// Who made the change; `None` for the system.
    pub actor_id: Option<i64>,
    /// `None` when the entity was created.
    pub from_status: Option<String>,
    pub to_status: String,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// One user's notice of one status event.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Notification {
    pub id: i64,
    /// Event type such as `order.approved`, `payment.released` or `stock.low`.
    pub event: String,
    /// Always set for order, invoice and payment events; for `stock.low`, the order that
    /// took the item below its threshold (`None` for an adjustment).
    pub order_id: Option<i64>,
    /// The stock item of a `stock.low` event; `None` for the others.
    pub inventory_id: Option<i64>,
    pub invoice_id: Option<i64>,
    pub payment_id: Option<i64>,
    pub title: String,
    pub message: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// A subscribed URL.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    /// Comma-separated event types, or `*`.
    pub events: String,
    /// The HMAC-SHA256 key receivers verify signatures with.
    pub secret: String,
    pub created_at: DateTime<Utc>,
    /// The admin's opt-in to a host that is not public (loopback, private, link-local).
    pub allow_private_host: bool,
}

/// One event for one webhook, and how its delivery went.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WebhookDelivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event_id: i64,
    pub event: String,
    pub status: WebhookDeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// One attempt at a delivery: the log that `gasstock webhooks deliveries --attempts` shows.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WebhookAttempt {
    pub id: i64,
    pub delivery_id: i64,
    pub webhook_id: i64,
    pub event_id: i64,
    pub event: String,
    /// 1 for the first attempt of the delivery.
    pub attempt: i64,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<i64>,
    /// Why it failed (`None`: delivered).
    pub error: Option<String>,
    pub duration_ms: i64,
    pub created_at: DateTime<Utc>,
}

/// A page of a list, with the total number of matching items.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
}

impl<T> Paged<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            items: self.items.into_iter().map(f).collect(),
            page: self.page,
            per_page: self.per_page,
            total: self.total,
        }
    }
}

/// A seller's driver (issue 13): a `driver` account that belongs to one seller.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Driver {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// Always `driver`.
    pub role: Role,
    pub phone: Option<String>,
    pub seller_id: i64,
    /// A disabled driver can neither be dispatched to nor complete a delivery.
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

/// One dispatch of an order, as its driver, its seller and admins see it. The handover code
/// is never part of it (only its buyer sees the code).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Dispatch {
    /// The dispatch's own id; a re-dispatch is a new one.
    pub id: i64,
    pub order_id: i64,
    pub seller_id: i64,
    pub driver_id: i64,
    /// The order's status now (`out_for_delivery`, `delivered`, `failed`, `cancelled`).
    pub status: OrderStatus,
    pub brand: String,
    #[schema(value_type = f64, example = 12)]
    pub weight_kg: WeightKg,
    pub quantity: i64,
    pub delivery_address: Option<String>,
    pub dispatched_at: DateTime<Utc>,
    /// Wrong handover codes tried so far (5 lock the delivery until the seller re-dispatches).
    pub wrong_codes: i64,
    pub locked: bool,
    pub failed_at: Option<DateTime<Utc>>,
    pub fail_reason: Option<String>,
}

/// An order as `GET /orders/{id}` shows it: its buyer also gets the live handover code
/// while a driver is on the way (absent for everyone else).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OrderView {
    #[serde(flatten)]
    pub order: Order,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handover_code: Option<String>,
}

/// A district a seller delivers to, and the fee there (minor units of the seller's currency).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Zone {
    pub district: String,
    pub fee: i64,
}

/// A stock item as `GET /gas` shows it (issue 13): with its seller's rating and, when the
/// buyer browses `near` a district, how far it is.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BrowseItem {
    #[serde(flatten)]
    pub item: StockItem,
    /// The seller's average rating, one decimal; `null` before the first review.
    pub seller_rating: Option<f64>,
    /// How many reviews the seller has.
    pub seller_reviews: i64,
    /// Great-circle km between the `near` district and the item's location (one decimal);
    /// `null` without `near`, or when the item's location is not a district.
    pub distance_km: Option<f64>,
}

/// A seller's public profile.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SellerProfile {
    pub id: i64,
    pub name: String,
    pub location: Option<String>,
    /// Average rating, one decimal; `null` before the first review.
    pub rating: Option<f64>,
    pub reviews: i64,
    /// The districts the seller delivers to.
    pub districts: Vec<String>,
}
