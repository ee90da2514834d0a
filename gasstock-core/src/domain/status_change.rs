//! One status change of one entity (`StatusChange`): what a status event records, stored as
//! (entity, from, to) text and parsed back; notifications and webhook payloads are computed
//! from it (`events.rs`).

use std::str::FromStr;

use super::cylinder_status::StockAlert;
use super::status::{CollectionStatus, InvoiceStatus, OrderStatus, OrderTransition, PaymentStatus, PayoutStatus};
use crate::error::Error;

/// One status change of one entity: what a status event records and what notifications
/// and webhook payloads are computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    /// `from` is `None` when the order was placed.
    Order {
        from: Option<OrderStatus>,
        to: OrderStatus,
    },
    Invoice {
        from: Option<InvoiceStatus>,
        to: InvoiceStatus,
    },
    Payment {
        from: Option<PaymentStatus>,
        to: PaymentStatus,
    },
    /// A payout to the seller, also under entity `payment`: its changes start from `queued` or
    /// `sent`, which tells them from a collection's (which start from `requested`).
    Payout {
        from: Option<PayoutStatus>,
        to: PayoutStatus,
    },
    /// A mobile-money request-to-pay. Recorded under entity `payment` (the stored entities
    /// are fixed by a CHECK constraint; the statuses tell the two apart), with the
    /// collection's id as the entity id; its events are `payment.requested|collected|failed`.
    Collection {
        from: Option<CollectionStatus>,
        to: CollectionStatus,
    },
    /// A stock item's level (its id is the event's entity id); it has no `from`.
    Stock {
        to: StockAlert,
    },
}

impl StatusChange {
    /// The order's move along `transition`.
    pub fn order(transition: OrderTransition) -> Self {
        StatusChange::Order { from: Some(transition.from()), to: transition.to() }
    }

    /// The invoice's move from `from` to `to`, if the invoice state machine allows it.
    pub fn invoice(from: InvoiceStatus, to: InvoiceStatus) -> Result<Self, Error> {
        if from.can_become(to) {
            Ok(StatusChange::Invoice { from: Some(from), to })
        } else {
            Err(Error::internal(format!("invoice cannot move from {from} to {to}")))
        }
    }

    /// The stored name of the entity: `order`, `invoice`, `payment` or `stock`.
    pub fn entity(self) -> &'static str {
        match self {
            StatusChange::Order { .. } => "order",
            StatusChange::Invoice { .. } => "invoice",
            StatusChange::Payment { .. } => "payment",
            StatusChange::Collection { .. } | StatusChange::Payout { .. } => "payment",
            StatusChange::Stock { .. } => "stock",
        }
    }

    pub fn from_text(self) -> Option<&'static str> {
        match self {
            StatusChange::Order { from, .. } => from.map(OrderStatus::as_str),
            StatusChange::Invoice { from, .. } => from.map(InvoiceStatus::as_str),
            StatusChange::Payment { from, .. } => from.map(PaymentStatus::as_str),
            StatusChange::Collection { from, .. } => from.map(CollectionStatus::as_str),
            StatusChange::Payout { from, .. } => from.map(PayoutStatus::as_str),
            StatusChange::Stock { .. } => None,
        }
    }

    pub fn to_text(self) -> &'static str {
        match self {
            StatusChange::Order { to, .. } => to.as_str(),
            StatusChange::Invoice { to, .. } => to.as_str(),
            StatusChange::Payment { to, .. } => to.as_str(),
            StatusChange::Collection { to, .. } => to.as_str(),
            StatusChange::Payout { to, .. } => to.as_str(),
            StatusChange::Stock { to } => to.as_str(),
        }
    }

    /// Reads back a stored change (entity, from, to).
    pub fn parse(entity: &str, from: Option<&str>, to: &str) -> Result<Self, Error> {
        fn both<S: FromStr<Err = Error>>(from: Option<&str>, to: &str) -> Result<(Option<S>, S), Error> {
            Ok((from.map(str::parse).transpose()?, to.parse()?))
        }
        Ok(match entity {
            "order" => both(from, to).map(|(from, to)| StatusChange::Order { from, to })?,
            "invoice" => both(from, to).map(|(from, to)| StatusChange::Invoice { from, to })?,
            "payment" if from.is_some_and(|f| f.parse::<PayoutStatus>().is_ok()) || to == "queued" => {
                both(from, to).map(|(from, to)| StatusChange::Payout { from, to })?
            }
            "payment" if to.parse::<CollectionStatus>().is_ok() => {
                both(from, to).map(|(from, to)| StatusChange::Collection { from, to })?
            }
            "payment" => both(from, to).map(|(from, to)| StatusChange::Payment { from, to })?,
            "stock" => StatusChange::Stock { to: to.parse()? },
            other => {
                return Err(Error::invalid("entity", format!("'{other}' is not order, invoice, payment or stock")))
            }
        })
    }
}
