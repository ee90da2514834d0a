//! Who hears of which status change. Notifications are derived from status events and
//! written in the same transaction as the change (the outbox), so a crash can neither lose
//! nor invent one.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::commands::PageRequest;
use crate::error::{Error, Result};
use crate::models::Paged;
use crate::policy::Actor;
use crate::store::Store;
use crate::Gasstock;

/// One user's notice of one status event.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, ToSchema)]
pub struct Notification {
    pub id: i64,
    /// Event type such as `order.approved` or `payment.released`.
    pub event: String,
    pub order_id: i64,
    pub invoice_id: Option<i64>,
    pub payment_id: Option<i64>,
    pub title: String,
    pub message: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// The users concerned by an event, relative to its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Audience {
    pub buyer: bool,
    pub seller: bool,
    pub admins: bool,
}

/// What to tell whom about one status event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub event: &'static str,
    pub audience: Audience,
    pub title: String,
    pub message: String,
}

const BUYER: Audience = Audience { buyer: true, seller: false, admins: false };
const SELLER: Audience = Audience { buyer: false, seller: true, admins: false };
const ADMINS: Audience = Audience { buyer: false, seller: false, admins: true };
const BUYER_AND_SELLER: Audience = Audience { buyer: true, seller: true, admins: false };
const SELLER_AND_ADMINS: Audience = Audience { buyer: false, seller: true, admins: true };

/// Every event type a notification or a webhook can carry.
pub const EVENT_TYPES: &[&str] = &[
    "order.created",
    "order.approved",
    "order.rejected",
    "order.cancelled",
    "order.invoiced",
    "order.delivered",
    "invoice.submitted",
    "invoice.approved",
    "invoice.rejected",
    "payment.released",
];

/// The notice for `entity` (`order`, `invoice`, `payment`) moving `from -> to`, or `None`
/// when nobody needs to hear of it (an order reopened by a rejected invoice is announced by
/// the invoice's own event).
pub fn notice(
    entity: &str,
    entity_id: i64,
    order_id: i64,
    from: Option<&str>,
    to: &str,
    reason: Option<&str>,
) -> Option<Notice> {
    let because = reason.map(|r| format!(" Reason: {r}")).unwrap_or_default();
    let (event, audience, title, message) = match (entity, from, to) {
        ("order", None, "pending") => (
            "order.created",
            SELLER_AND_ADMINS,
            format!("New order #{order_id}"),
            format!("Order #{order_id} was placed and waits for an admin's approval."),
        ),
        ("order", Some("pending"), "approved") => (
            "order.approved",
            BUYER_AND_SELLER,
            format!("Order #{order_id} approved"),
            format!("Order #{order_id} was approved.{because}"),
        ),
        ("order", Some("pending"), "rejected") => (
            "order.rejected",
            BUYER_AND_SELLER,
            format!("Order #{order_id} rejected"),
            format!("Order #{order_id} was rejected and its stock released.{because}"),
        ),
        ("order", Some("pending"), "cancelled") => (
            "order.cancelled",
            SELLER_AND_ADMINS,
            format!("Order #{order_id} cancelled"),
            format!("The buyer cancelled order #{order_id}; its stock was released."),
        ),
        ("order", Some("approved"), "invoiced") => (
            "order.invoiced",
            BUYER,
            format!("Order #{order_id} invoiced"),
            format!("The seller invoiced order #{order_id}."),
        ),
        ("order", Some("invoiced"), "delivered") => (
            "order.delivered",
            BUYER,
            format!("Order #{order_id} delivered"),
            format!("Delivery of order #{order_id} was confirmed."),
        ),
        ("invoice", None, "pending") => (
            "invoice.submitted",
            ADMINS,
            format!("Invoice #{entity_id} waits for approval"),
            format!("Invoice #{entity_id} for order #{order_id} waits for an admin's approval."),
        ),
        ("invoice", Some("pending"), "approved") => (
            "invoice.approved",
            SELLER,
            format!("Invoice #{entity_id} approved"),
            format!("Invoice #{entity_id} for order #{order_id} was approved.{because}"),
        ),
        ("invoice", Some("pending"), "rejected") => (
            "invoice.rejected",
            SELLER,
            format!("Invoice #{entity_id} rejected"),
            format!(
                "Invoice #{entity_id} for order #{order_id} was rejected: the order can be invoiced again.{because}"
            ),
        ),
        ("payment", None, "released") => (
            "payment.released",
            SELLER,
            format!("Payment #{entity_id} released"),
            format!("Payment for order #{order_id} was released to you."),
        ),
        _ => return None,
    };
    Some(Notice { event, audience, title, message })
}

/// The signed-in user's own notifications; nobody can read or mark anyone else's.
impl<S: Store> Gasstock<S> {
    pub async fn notifications(
        &self,
        actor: &Actor,
        unread_only: bool,
        page: PageRequest,
    ) -> Result<Paged<Notification>> {
        self.store().list_notifications(actor.user_id, unread_only, page).await
    }

    pub async fn mark_notification_read(&self, actor: &Actor, id: i64) -> Result<Notification> {
        self.store()
            .mark_notification_read(actor.user_id, id)
            .await?
            .ok_or_else(|| Error::not_found("notification", id))
    }

    /// Returns how many notifications were unread.
    pub async fn mark_all_notifications_read(&self, actor: &Actor) -> Result<u64> {
        self.store().mark_all_notifications_read(actor.user_id).await
    }

    /// Notifications after `after_id`, oldest first, at most `limit` (1 to 1000).
    pub async fn notifications_after(&self, actor: &Actor, after_id: i64, limit: i64) -> Result<Vec<Notification>> {
        self.store().notifications_after(actor.user_id, after_id, limit.clamp(1, 1000)).await
    }

    pub async fn last_notification_id(&self, actor: &Actor) -> Result<i64> {
        self.store().last_notification_id(actor.user_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_audiences() {
        let audience = |entity, from, to| notice(entity, 7, 3, from, to, None).map(|n| n.audience);
        assert_eq!(audience("order", Some("pending"), "approved"), Some(BUYER_AND_SELLER));
        assert_eq!(audience("order", Some("invoiced"), "delivered"), Some(BUYER));
        assert_eq!(audience("order", None, "pending"), Some(SELLER_AND_ADMINS));
        assert_eq!(audience("invoice", None, "pending"), Some(ADMINS));
        assert_eq!(audience("invoice", Some("pending"), "approved"), Some(SELLER));
        assert_eq!(audience("payment", None, "released"), Some(SELLER));
        assert_eq!(audience("order", Some("invoiced"), "approved"), None, "announced by invoice.rejected");
    }

    #[test]
    fn every_notice_uses_a_listed_event_type_and_carries_the_reason() {
        let rejected = notice("order", 3, 3, Some("pending"), "rejected", Some("out of area")).unwrap();
        assert!(rejected.message.ends_with("Reason: out of area"));
        for (entity, from, to) in [
            ("order", None, "pending"),
            ("order", Some("pending"), "approved"),
            ("order", Some("pending"), "rejected"),
            ("order", Some("pending"), "cancelled"),
            ("order", Some("approved"), "invoiced"),
            ("order", Some("invoiced"), "delivered"),
            ("invoice", None, "pending"),
            ("invoice", Some("pending"), "approved"),
            ("invoice", Some("pending"), "rejected"),
            ("payment", None, "released"),
        ] {
            let n = notice(entity, 1, 1, from, to, None).unwrap();
            assert!(EVENT_TYPES.contains(&n.event), "{}", n.event);
        }
    }
}
