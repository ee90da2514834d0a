//! The `stock.low` status event: written in the transaction of the order or adjustment whose
//! UPDATE took the item's full count below its threshold. The UPDATE's `RETURNING` gives the
//! count it left, so two concurrent takes see distinct before/after pairs and only the one
//! that crossed the line records the event: once per crossing, re-armed by any change that
//! lifts the count back to the threshold (a refill, an adjustment, an upsert, a released order).

use chrono::{DateTime, Utc};

use super::db::Conn;
use super::events::{self, Event};
use super::ActorId;
use crate::domain::{StatusChange, StockAlert};
use crate::error::Result;

/// One take of full cylinders from an item, as its UPDATE returned it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Take {
    pub inventory_id: i64,
    /// The full count the UPDATE left.
    pub quantity: i64,
    /// How many full cylinders it took (0 or less: none).
    pub taken: i64,
    pub threshold: Option<i64>,
    /// The order that took them; `None` for an adjustment.
    pub order_id: Option<i64>,
    pub actor: Option<ActorId>,
    pub at: DateTime<Utc>,
}

/// Records `stock.low` (and the seller's notification) if `take` crossed the threshold.
pub(super) async fn record_if_crossed(conn: &mut Conn<'_>, take: Take) -> Result<bool> {
    let Take { inventory_id, quantity, taken, threshold, order_id, actor, at } = take;
    if !StockAlert::crossed_low(quantity, taken, threshold) {
        return Ok(false);
    }
    let reason = format!("{quantity} full left, threshold {}", threshold.unwrap_or_default());
    let change = StatusChange::Stock { to: StockAlert::Low };
    let event = Event { change, entity_id: inventory_id, order_id, actor, reason: Some(&reason), at };
    events::record(conn, event).await?;
    Ok(true)
}
