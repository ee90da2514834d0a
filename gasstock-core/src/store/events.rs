//! Status events and the notifications they fan out to, written in the caller's transaction
//! (the outbox): a crash can neither lose nor invent one.

use chrono::{DateTime, Utc};

use super::db::{Conn, Sql};
use super::{ActorId, Store};
use crate::domain::{Role, StatusChange, StockAlert};
use crate::error::Result;
use crate::events::notice;
use crate::models::StatusEvent;

pub(super) const EVENT_COLUMNS: &str =
    "id, entity, entity_id, order_id, actor_id, from_status, to_status, reason, created_at";

/// One status change to record.
#[derive(Debug, Clone, Copy)]
pub(super) struct Event<'a> {
    pub change: StatusChange,
    pub entity_id: i64,
    /// Always set but for a stock event, where it is the order that caused it, if any.
    pub order_id: Option<i64>,
    pub actor: Option<ActorId>,
    pub reason: Option<&'a str>,
    pub at: DateTime<Utc>,
}

/// Appends one status event and the notifications it produces.
pub(super) async fn record(conn: &mut Conn<'_>, event: Event<'_>) -> Result<()> {
    let Event { change, entity_id, order_id, actor, reason, at } = event;
    let event_id: i64 = conn
        .fetch_scalar(
            Sql::new(
                "INSERT INTO status_events (entity, entity_id, order_id, actor_id, from_status, to_status, reason, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(change.entity())
            .bind(entity_id)
            .bind(order_id)
            .bind(actor)
            .bind(change.from_text())
            .bind(change.to_text())
            .bind(reason)
            .bind(at),
        )
        .await?;
    crate::metrics::status_changed(change.entity(), change.from_text(), change.to_text());
    let Some(notice) = notice(change, entity_id, order_id, reason) else {
        return Ok(());
    };
    let (invoice_id, payment_id, inventory_id) = match change {
        StatusChange::Invoice { .. } => (Some(entity_id), None, None),
        StatusChange::Payment { .. } => (None, Some(entity_id), None),
        StatusChange::Order { .. } | StatusChange::Collection { .. } | StatusChange::Payout { .. } => {
            (None, None, None)
        }
        StatusChange::Stock { .. } => (None, None, Some(entity_id)),
    };
    // One statement fans out to every recipient. A stock event's seller is the item's (its
    // order, if any, has the same seller: the order's branch stays out to avoid a duplicate).
    let fan_out = Sql::new(
        "INSERT INTO notifications (user_id, event_id, event, order_id, invoice_id, payment_id, title, message, \
         created_at, inventory_id) SELECT r.user_id, $11, $1, $2, $3, $4, $5, $6, $7, $13 FROM ( \
           SELECT buyer_id AS user_id FROM orders WHERE id = $2 AND $8 \
           UNION ALL SELECT seller_id FROM orders WHERE id = $2 AND $9 AND $13 IS NULL \
           UNION ALL SELECT seller_id FROM stock_items WHERE id = $13 AND $9 \
           UNION ALL SELECT id FROM users WHERE role = $12 AND $10) r",
    )
    .bind(notice.event)
    .bind(order_id)
    .bind(invoice_id)
    .bind(payment_id)
    .bind(notice.title)
    .bind(notice.message)
    .bind(at)
    .bind(notice.audience.buyer)
    .bind(notice.audience.seller)
    .bind(notice.audience.admins)
    .bind(event_id)
    .bind(Role::Admin)
    .bind(inventory_id);
    if conn.execute(fan_out).await? > 0 {
        // Delivered at commit, to every instance's watcher (PostgreSQL) or this process's.
        conn.announce_notifications().await?;
    }
    Ok(())
}

/// The id of the order's latest status event, in the caller's transaction (for notices a
/// workflow writes itself, such as a dispatch's; see store/dispatch.rs).
pub(super) async fn last_event_id(conn: &mut Conn<'_>, order_id: i64) -> Result<i64> {
    conn.fetch_scalar(Sql::new("SELECT MAX(id) FROM status_events WHERE order_id = $1").bind(order_id)).await
}

impl Store {
    /// The status events of an order, its invoices and its payment, oldest first. A
    /// `stock.low` the order caused is the seller's business, not the order's history (which
    /// its buyer reads): it stays out.
    pub async fn order_events(&self, order_id: i64) -> Result<Vec<StatusEvent>> {
        let stock = StatusChange::Stock { to: StockAlert::Low }.entity();
        self.read_all(
            Sql::new(format!(
                "SELECT {EVENT_COLUMNS} FROM status_events WHERE order_id = $1 AND entity <> $2 ORDER BY id"
            ))
            .bind(order_id)
            .bind(stock),
        )
        .await
    }

    /// The status events of a stock item (its `stock.low` crossings), oldest first.
    pub async fn stock_events(&self, inventory_id: i64) -> Result<Vec<StatusEvent>> {
        let stock = StatusChange::Stock { to: StockAlert::Low }.entity();
        self.read_all(
            Sql::new(format!(
                "SELECT {EVENT_COLUMNS} FROM status_events WHERE entity = $1 AND entity_id = $2 ORDER BY id"
            ))
            .bind(stock)
            .bind(inventory_id),
        )
        .await
    }
}
