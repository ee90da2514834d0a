//! Cylinders (issue 11): the stock ledger's lines, empty returns, deposit balances and their
//! entries, and price history.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{Currency, MovementReason, ReturnStatus};

/// One line of the stock ledger: a change of an item's full or empty count and why.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StockMovement {
    pub id: i64,
    pub inventory_id: i64,
    pub full_delta: i64,
    pub empty_delta: i64,
    pub reason: MovementReason,
    pub order_id: Option<i64>,
    pub return_id: Option<i64>,
    /// Who made the change; `None` for the system (the migration's opening line).
    pub actor_id: Option<i64>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A buyer's return of empty cylinders they hold deposits for.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CylinderReturn {
    pub id: i64,
    pub buyer_id: i64,
    pub seller_id: i64,
    pub inventory_id: i64,
    pub quantity: i64,
    pub status: ReturnStatus,
    /// Cylinders accepted in good condition (set when settled).
    pub good: Option<i64>,
    /// Damaged cylinders, whose deposits are forfeited (set when settled).
    pub damaged: Option<i64>,
    /// How much the buyer's deposit balance went down when it was accepted.
    pub deposit_released: i64,
    /// What is owed back to the buyer: the deposits of the good cylinders.
    pub refund_amount: i64,
    pub decided_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The deposits one buyer holds with one seller for one stock item.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DepositBalance {
    pub buyer_id: i64,
    pub seller_id: i64,
    pub inventory_id: i64,
    /// Cylinders the buyer holds deposits for.
    pub cylinders: i64,
    /// What the seller owes back for them, minor units.
    pub amount: i64,
    /// Cylinders in returns not settled yet.
    pub pending: i64,
    pub updated_at: DateTime<Utc>,
}

/// One change of a deposit balance: + for a delivered new-cylinder order, - for a settled return.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DepositEntry {
    pub id: i64,
    pub buyer_id: i64,
    pub seller_id: i64,
    pub inventory_id: i64,
    pub cylinders: i64,
    pub amount: i64,
    pub order_id: Option<i64>,
    pub return_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// One price an item had: its unit price and deposit from `created_at` on.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PriceChange {
    pub id: i64,
    pub inventory_id: i64,
    pub unit_price: i64,
    pub deposit: i64,
    #[schema(value_type = String, example = "RWF")]
    pub currency: Currency,
    pub actor_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}
