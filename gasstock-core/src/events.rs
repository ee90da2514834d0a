//! What a status change means to people and to integrations: the notification it produces
//! (who hears of it, title, message) and the JSON a webhook receives. Pure functions of the
//! change, below the store, which writes both in the transaction of the change itself.

use chrono::{DateTime, Utc};

use crate::domain::{
    CollectionStatus, InvoiceStatus, OrderStatus, PaymentStatus, PayoutStatus, StatusChange, StockAlert,
};
use crate::models::{StatusEvent, Webhook};

/// The users concerned by an event, relative to its order (for a stock event, `seller` is
/// the item's seller).
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
    "order.expired",
    "order.out_for_delivery",
    "order.failed",
    "invoice.submitted",
    "invoice.approved",
    "invoice.rejected",
    "payment.released",
    "payment.requested",
    "payment.collected",
    "payment.failed",
    "payout.paid",
    "payout.failed",
    "stock.low",
];

/// The notice for `change` of entity `entity_id` (of order `order_id`; a stock event may
/// have none), or `None` when nobody needs to hear of it (an order reopened by a rejected
/// invoice is announced by the invoice's own event).
pub fn notice(change: StatusChange, entity_id: i64, order_id: Option<i64>, reason: Option<&str>) -> Option<Notice> {
    use CollectionStatus as C;
    use InvoiceStatus as I;
    use OrderStatus as O;
    use StatusChange::{Collection, Invoice, Order, Payment, Payout, Stock};
    // Order, invoice, payment and payout events always belong to an order.
    let order_id = order_id.unwrap_or_default();
    let because = reason.map(|r| format!(" Reason: {r}")).unwrap_or_default();
    let (event, audience, title, message) = match change {
        Order { from: None, to: O::Pending } => (
            "order.created",
            SELLER_AND_ADMINS,
            format!("New order #{order_id}"),
            format!("Order #{order_id} was placed and waits for an admin's approval."),
        ),
        Order { from: Some(O::Pending), to: O::Approved } => (
            "order.approved",
            BUYER_AND_SELLER,
            format!("Order #{order_id} approved"),
            format!("Order #{order_id} was approved.{because}"),
        ),
        Order { from: Some(O::Pending), to: O::Rejected } => (
            "order.rejected",
            BUYER_AND_SELLER,
            format!("Order #{order_id} rejected"),
            format!("Order #{order_id} was rejected and its stock released.{because}"),
        ),
        Order { from: Some(O::Pending), to: O::Cancelled } => (
            "order.cancelled",
            SELLER_AND_ADMINS,
            format!("Order #{order_id} cancelled"),
            format!("The buyer cancelled order #{order_id}; its stock was released."),
        ),
        Order { from: Some(O::Approved), to: O::Invoiced } => (
            "order.invoiced",
            BUYER,
            format!("Order #{order_id} invoiced"),
            format!("The seller invoiced order #{order_id}."),
        ),
        Order { from: Some(O::Invoiced), to: O::Delivered } => (
            "order.delivered",
            BUYER,
            format!("Order #{order_id} delivered"),
            format!("Delivery of order #{order_id} was confirmed."),
        ),
        Order { from: Some(O::Pending | O::Invoiced), to: O::Expired } => (
            "order.expired",
            BUYER_AND_SELLER,
            format!("Order #{order_id} expired"),
            format!("Order #{order_id} expired (not approved or not paid in time); its stock was released."),
        ),
        // Dispatch (issue 13). The buyer's notice of a dispatch carries the handover code and
        // the driver's names the address: the store writes both itself (store/dispatch.rs),
        // so the code is never in this shared notice nor in a webhook payload.
        Order { from: Some(O::Invoiced | O::Failed), to: O::OutForDelivery } => (
            "order.out_for_delivery",
            SELLER,
            format!("Order #{order_id} dispatched"),
            format!("Order #{order_id} is out for delivery."),
        ),
        Order { from: Some(O::OutForDelivery), to: O::Delivered } => (
            "order.delivered",
            BUYER_AND_SELLER,
            format!("Order #{order_id} delivered"),
            format!("Order #{order_id} was handed over to the buyer."),
        ),
        Order { from: Some(O::OutForDelivery), to: O::Failed } => (
            "order.failed",
            BUYER_AND_SELLER,
            format!("Delivery of order #{order_id} failed"),
            format!("The driver could not deliver order #{order_id}.{because}"),
        ),
        Order { from: Some(O::Failed), to: O::Cancelled } => (
            "order.cancelled",
            BUYER_AND_SELLER,
            format!("Order #{order_id} cancelled"),
            format!("Order #{order_id} was cancelled after a failed delivery; its stock was released.{because}"),
        ),
        Invoice { from: None, to: I::Pending } => (
            "invoice.submitted",
            ADMINS,
            format!("Invoice #{entity_id} waits for approval"),
            format!("Invoice #{entity_id} for order #{order_id} waits for an admin's approval."),
        ),
        Invoice { from: Some(I::Pending), to: I::Approved } => (
            "invoice.approved",
            SELLER,
            format!("Invoice #{entity_id} approved"),
            format!("Invoice #{entity_id} for order #{order_id} was approved.{because}"),
        ),
        Invoice { from: Some(I::Pending), to: I::Rejected } => (
            "invoice.rejected",
            SELLER,
            format!("Invoice #{entity_id} rejected"),
            format!(
                "Invoice #{entity_id} for order #{order_id} was rejected: the order can be invoiced again.{because}"
            ),
        ),
        Payment { from: None, to: PaymentStatus::Released } => (
            "payment.released",
            SELLER,
            format!("Payment #{entity_id} released"),
            format!("Payment for order #{order_id} was released to you."),
        ),
        Collection { from: None, to: C::Requested } => (
            "payment.requested",
            BUYER,
            format!("Pay for order #{order_id}"),
            format!("Approve the mobile-money payment for order #{order_id} on your phone."),
        ),
        Collection { from: Some(C::Requested), to: C::Collected } => (
            "payment.collected",
            BUYER_AND_SELLER,
            format!("Order #{order_id} paid"),
            format!("The mobile-money payment for order #{order_id} was collected; it can be delivered."),
        ),
        Collection { from: Some(C::Requested), to: C::Failed } => (
            "payment.failed",
            BUYER_AND_SELLER,
            format!("Payment for order #{order_id} failed"),
            format!("The mobile-money payment for order #{order_id} failed; the buyer can try again.{because}"),
        ),
        Payout { from: Some(_), to: PayoutStatus::Paid } => (
            "payout.paid",
            SELLER,
            format!("Payout for order #{order_id} paid"),
            format!("Your payout for order #{order_id} was sent to your mobile-money number."),
        ),
        Payout { from: Some(_), to: PayoutStatus::Failed } => (
            "payout.failed",
            SELLER_AND_ADMINS,
            format!("Payout for order #{order_id} failed"),
            format!("The payout for order #{order_id} failed; an admin can retry it.{because}"),
        ),
        Stock { to: StockAlert::Low } => (
            "stock.low",
            SELLER,
            format!("Low stock: item #{entity_id}"),
            format!("Stock item #{entity_id} fell below its low-stock threshold.{because}"),
        ),
        _ => return None,
    };
    Some(Notice { event, audience, title, message })
}

/// The JSON POSTed for one status event.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    /// The event type, e.g. `payment.released`.
    pub kind: String,
    pub body: String,
}

/// `{"id": <event id>, "type": ..., "created_at": ..., "data": {...}}`, or `None` for events
/// nobody is notified of (or that no known status change describes).
pub fn payload(event: &StatusEvent) -> Option<Payload> {
    let change = StatusChange::parse(&event.entity, event.from_status.as_deref(), &event.to_status).ok()?;
    let notice = notice(change, event.entity_id, event.order_id, event.reason.as_deref())?;
    // A stock event names its item; others keep today's payload exactly.
    let inventory_id = matches!(change, StatusChange::Stock { .. }).then_some(event.entity_id);
    let body = serde_json::json!({
        "id": event.id,
        "type": notice.event,
        "created_at": event.created_at,
        "data": {
            "order_id": event.order_id,
            "inventory_id": inventory_id,
            "entity": event.entity,
            "entity_id": event.entity_id,
            "from": event.from_status,
            "to": event.to_status,
            "reason": event.reason,
            "actor_id": event.actor_id,
            "title": notice.title,
            "message": notice.message,
        }
    });
    Some(Payload { kind: notice.event.to_owned(), body: body.to_string() })
}

/// Whether `hook` wants events of `kind` that happened at `at` (not those from before it
/// was created).
pub fn subscribes(hook: &Webhook, kind: &str, at: DateTime<Utc>) -> bool {
    at >= hook.created_at && hook.events.split(',').any(|e| e == "*" || e == kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::OrderTransition;

    fn order(from: Option<OrderStatus>, to: OrderStatus) -> StatusChange {
        StatusChange::Order { from, to }
    }

    fn invoice(from: Option<InvoiceStatus>, to: InvoiceStatus) -> StatusChange {
        StatusChange::Invoice { from, to }
    }

    const RELEASED: StatusChange = StatusChange::Payment { from: None, to: PaymentStatus::Released };

    #[test]
    fn the_documented_audiences() {
        let audience = |change| notice(change, 7, Some(3), None).map(|n| n.audience);
        assert_eq!(audience(StatusChange::order(OrderTransition::Approve)), Some(BUYER_AND_SELLER));
        assert_eq!(audience(StatusChange::order(OrderTransition::Deliver)), Some(BUYER));
        assert_eq!(audience(order(None, OrderStatus::Pending)), Some(SELLER_AND_ADMINS));
        assert_eq!(audience(invoice(None, InvoiceStatus::Pending)), Some(ADMINS));
        assert_eq!(audience(invoice(Some(InvoiceStatus::Pending), InvoiceStatus::Approved)), Some(SELLER));
        assert_eq!(audience(RELEASED), Some(SELLER));
        assert_eq!(audience(StatusChange::Stock { to: StockAlert::Low }), Some(SELLER));
        assert_eq!(
            audience(StatusChange::order(OrderTransition::ReopenForInvoice)),
            None,
            "announced by invoice.rejected"
        );
    }

    #[test]
    fn every_notice_uses_a_listed_event_type_and_carries_the_reason() {
        let rejected = notice(StatusChange::order(OrderTransition::Reject), 3, Some(3), Some("out of area")).unwrap();
        assert!(rejected.message.ends_with("Reason: out of area"));
        let mut changes = vec![order(None, OrderStatus::Pending), invoice(None, InvoiceStatus::Pending), RELEASED];
        changes.push(StatusChange::Collection { from: None, to: CollectionStatus::Requested });
        for to in [CollectionStatus::Collected, CollectionStatus::Failed] {
            changes.push(StatusChange::Collection { from: Some(CollectionStatus::Requested), to });
        }
        for to in [PayoutStatus::Paid, PayoutStatus::Failed] {
            changes.push(StatusChange::Payout { from: Some(PayoutStatus::Sent), to });
        }
        changes.push(StatusChange::Stock { to: StockAlert::Low });
        changes.extend(
            OrderTransition::ALL
                .iter()
                .filter(|t| **t != OrderTransition::ReopenForInvoice)
                .map(|t| StatusChange::order(*t)),
        );
        for to in [InvoiceStatus::Approved, InvoiceStatus::Rejected] {
            changes.push(StatusChange::invoice(InvoiceStatus::Pending, to).unwrap());
        }
        let mut seen: Vec<&str> = changes.into_iter().map(|c| notice(c, 1, Some(1), None).unwrap().event).collect();
        seen.sort_unstable();
        seen.dedup(); // both expiries are `order.expired`
        let mut all = EVENT_TYPES.to_vec();
        all.sort_unstable();
        assert_eq!(seen, all);
    }
}
