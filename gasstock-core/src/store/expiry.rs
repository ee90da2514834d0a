//! Expiry: pending orders past their TTL and mobile-money orders not paid in time become
//! `expired` and give their stock back, each exactly once: the move is a conditional UPDATE
//! on the order's status, so two sweeping instances (or a sweep racing an approval, a
//! payment or a cancellation) expire an order at most once.

use chrono::{DateTime, Utc};

use super::db::{now, Conn, Sql};
use super::events::{self, Event};
use super::movements::{self, Movement};
use super::orders::ORDER_COLUMNS;
use super::Store;
use crate::domain::{CollectionStatus, MovementReason, OrderStatus, OrderTransition, PaymentMethod, StatusChange};
use crate::error::{Error, Result};
use crate::models::{Collection, Order};

/// An order a sweep may expire, and how.
pub type ExpiryCandidate = (i64, OrderTransition);

/// Internal: a payment arrived while the order was being expired; the expiry rolls back.
const PAID_MEANWHILE: &str = "paid_meanwhile";

impl Store {
    /// Pending orders placed before `pending_before`, and invoiced mobile-money orders whose
    /// latest request-to-pay was made before `payment_before` and none collected.
    pub async fn expiry_candidates(
        &self,
        pending_before: DateTime<Utc>,
        payment_before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ExpiryCandidate>> {
        let pending = Sql::new("SELECT id FROM orders WHERE status = $1 AND created_at < $2 ORDER BY id LIMIT $3")
            .bind(OrderStatus::Pending)
            .bind(pending_before)
            .bind(limit);
        let unpaid = Sql::new(
            "SELECT o.id FROM orders o WHERE o.status = $1 AND o.payment_method = $2 \
             AND EXISTS (SELECT 1 FROM collections c WHERE c.order_id = o.id) \
             AND NOT EXISTS (SELECT 1 FROM collections c WHERE c.order_id = o.id \
                 AND (c.status = $3 OR c.requested_at >= $4)) ORDER BY o.id LIMIT $5",
        )
        .bind(OrderStatus::Invoiced)
        .bind(PaymentMethod::MobileMoney)
        .bind(CollectionStatus::Collected)
        .bind(payment_before)
        .bind(limit);
        let mut found: Vec<ExpiryCandidate> =
            self.read_all::<(i64,)>(pending).await?.into_iter().map(|(id,)| (id, OrderTransition::Expire)).collect();
        let unpaid = self.read_all::<(i64,)>(unpaid).await?;
        found.extend(unpaid.into_iter().map(|(id,)| (id, OrderTransition::ExpireUnpaid)));
        Ok(found)
    }

    /// Expires one order if it is still where `transition` starts: stock back, open
    /// requests-to-pay failed, events and notifications, in one unit. `None` when it moved on
    /// (approved, paid, cancelled, or expired by another instance).
    pub async fn expire_order(&self, order_id: i64, transition: OrderTransition) -> Result<Option<Order>> {
        let at = now();
        let expired = self
            .write(move |mut conn| Box::pin(async move { expire(&mut conn, order_id, transition, at).await }))
            .await;
        match expired {
            Err(Error::Conflict { code: PAID_MEANWHILE, .. }) => Ok(None),
            other => other,
        }
    }
}

async fn expire(
    conn: &mut Conn<'_>,
    order_id: i64,
    transition: OrderTransition,
    at: DateTime<Utc>,
) -> Result<Option<Order>> {
    let mut update = Sql::new(format!(
        "UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4 \
         AND NOT EXISTS (SELECT 1 FROM collections c WHERE c.order_id = orders.id AND c.status = $5) \
         RETURNING {ORDER_COLUMNS}"
    ));
    update =
        update.bind(transition.to()).bind(at).bind(order_id).bind(transition.from()).bind(CollectionStatus::Collected);
    let Some(order) = conn.fetch_optional::<Order>(update).await? else {
        return Ok(None);
    };
    let give_back = Sql::new("UPDATE stock_items SET quantity = quantity + $1, updated_at = $2 WHERE id = $3")
        .bind(order.quantity)
        .bind(at)
        .bind(order.inventory_id);
    conn.execute(give_back).await?;
    // The ledger line of the stock coming back; nobody acted: the sweep did.
    let back = Movement {
        inventory_id: order.inventory_id,
        full_delta: order.quantity,
        empty_delta: 0,
        reason: MovementReason::Expired,
        order_id: Some(order.id),
        return_id: None,
        actor: None,
        note: None,
        at,
    };
    movements::record(conn, back).await?;
    let change = StatusChange::order(transition);
    events::record(
        conn,
        Event { change, entity_id: order.id, order_id: Some(order_id), actor: None, reason: None, at },
    )
    .await?;
    // Open requests-to-pay end with the order: a payment approved later is not taken.
    let close = Sql::new(
        "UPDATE collections SET status = $1, reason = $2, decided_at = $3 WHERE order_id = $4 AND status = $5 \
         RETURNING id, order_id, reference, amount, currency, payer_phone, status, reason, provider_transaction_id, \
         requested_at, sent_at, decided_at",
    )
    .bind(CollectionStatus::Failed)
    .bind(OrderStatus::Expired.as_str()) // the reason: the order expired
    .bind(at)
    .bind(order_id)
    .bind(CollectionStatus::Requested);
    for closed in conn.fetch_all::<Collection>(close).await? {
        let change = StatusChange::Collection { from: Some(CollectionStatus::Requested), to: CollectionStatus::Failed };
        let reason = Some(OrderStatus::Expired.as_str());
        events::record(conn, Event { change, entity_id: closed.id, order_id: Some(order_id), actor: None, reason, at })
            .await?;
    }
    // PostgreSQL: a collection settled while this ran (its row lock made the UPDATE above
    // wait, then skip it). The order is paid: roll the expiry back.
    let collected: Option<i64> = conn
        .fetch_optional_scalar(
            Sql::new("SELECT id FROM collections WHERE order_id = $1 AND status = $2")
                .bind(order_id)
                .bind(CollectionStatus::Collected),
        )
        .await?;
    if collected.is_some() {
        return Err(Error::conflict(PAID_MEANWHILE, "paid while expiring"));
    }
    Ok(Some(order))
}
