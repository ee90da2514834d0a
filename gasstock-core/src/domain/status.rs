//! Statuses and the one state machine they move through (docs/api.md, "Workflow"). This is
//! the only Rust file that spells a status: the store binds them from these enums.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The error for `text`, which is none of `valid`.
fn unknown(kind: &str, text: &str, valid: impl Iterator<Item = &'static str>) -> Error {
    let valid: Vec<&str> = valid.collect();
    Error::invalid("status", format!("'{text}' is not a valid {kind}: use one of {}", valid.join(", ")))
}

/// Declares a lowercase string enum stored as TEXT and shown as a JSON string.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = Error;

            fn from_str(s: &str) -> Result<Self, Error> {
                let found = Self::ALL.iter().copied().find(|v| v.as_str() == s);
                found.ok_or_else(|| unknown(stringify!($name), s, Self::ALL.iter().map(|v| v.as_str())))
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;

            fn try_from(value: String) -> Result<Self, Error> {
                value.parse()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// Where an order is in its life.
    OrderStatus {
        Pending => "pending",
        Approved => "approved",
        Rejected => "rejected",
        Cancelled => "cancelled",
        Invoiced => "invoiced",
        Delivered => "delivered",
        // Dispatch (issue 13): a driver carries the order; a failed handover waits for the
        // seller to re-dispatch or cancel.
        OutForDelivery => "out_for_delivery",
        Failed => "failed",
    }
);

string_enum!(
    /// An invoice waits for an admin's decision.
    InvoiceStatus {
        Pending => "pending",
        Approved => "approved",
        Rejected => "rejected",
    }
);

string_enum!(
    /// Payments are created released, when delivery is confirmed.
    PaymentStatus {
        Released => "released",
    }
);

string_enum!(
    /// A webhook delivery: retried while pending, then delivered or given up (dead).
    WebhookDeliveryStatus {
        Pending => "pending",
        Delivered => "delivered",
        Dead => "dead",
    }
);

impl OrderStatus {
    /// The statuses in which an order holds cylinders it has not yet delivered (reserved).
    pub const RESERVING: &'static [OrderStatus] = &[
        OrderStatus::Pending,
        OrderStatus::Approved,
        OrderStatus::Invoiced,
        OrderStatus::OutForDelivery,
        OrderStatus::Failed,
    ];

    /// Whether an order in this status still holds its cylinders (reserved or sold).
    pub fn holds_stock(self) -> bool {
        !matches!(self, OrderStatus::Rejected | OrderStatus::Cancelled)
    }

    /// Whether `self -> to` is an edge of the order state machine.
    pub fn can_become(self, to: OrderStatus) -> bool {
        OrderTransition::ALL.iter().any(|t| t.from() == self && t.to() == to)
    }
}

impl InvoiceStatus {
    pub fn can_become(self, to: InvoiceStatus) -> bool {
        self == InvoiceStatus::Pending && to != InvoiceStatus::Pending
    }
}

/// Every legal move of an order. Stores apply one as
/// `UPDATE orders SET status = to WHERE id = $1 AND status = from`, so a race cannot slip in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderTransition {
    Approve,
    Reject,
    Cancel,
    Invoice,
    /// The invoice was rejected: the seller may invoice again.
    ReopenForInvoice,
    Deliver,
    /// The seller hands the invoiced order to one of its drivers.
    Dispatch,
    /// The driver completes the handover with the buyer's code.
    DeliverDispatched,
    /// The driver could not hand it over.
    FailDelivery,
    /// The seller sends a failed delivery out again.
    Redispatch,
    /// The seller or an admin gives up on a failed delivery: the stock goes back.
    CancelFailed,
}

impl OrderTransition {
    pub const ALL: &'static [OrderTransition] = &[
        OrderTransition::Approve,
        OrderTransition::Reject,
        OrderTransition::Cancel,
        OrderTransition::Invoice,
        OrderTransition::ReopenForInvoice,
        OrderTransition::Deliver,
        OrderTransition::Dispatch,
        OrderTransition::DeliverDispatched,
        OrderTransition::FailDelivery,
        OrderTransition::Redispatch,
        OrderTransition::CancelFailed,
    ];

    /// The delivery edge that starts at `from`: `invoiced` (an admin's confirmation of an
    /// order nobody dispatched) or `out_for_delivery` (a driver's handover).
    pub fn delivering_from(from: OrderStatus) -> Result<Self, Error> {
        match from {
            OrderStatus::Invoiced => Ok(OrderTransition::Deliver),
            OrderStatus::OutForDelivery => Ok(OrderTransition::DeliverDispatched),
            other => Err(Error::internal(format!("no delivery starts at {other}"))),
        }
    }

    pub fn from(self) -> OrderStatus {
        match self {
            OrderTransition::Approve | OrderTransition::Reject | OrderTransition::Cancel => OrderStatus::Pending,
            OrderTransition::Invoice => OrderStatus::Approved,
            OrderTransition::ReopenForInvoice | OrderTransition::Deliver | OrderTransition::Dispatch => {
                OrderStatus::Invoiced
            }
            OrderTransition::DeliverDispatched | OrderTransition::FailDelivery => OrderStatus::OutForDelivery,
            OrderTransition::Redispatch | OrderTransition::CancelFailed => OrderStatus::Failed,
        }
    }

    pub fn to(self) -> OrderStatus {
        match self {
            OrderTransition::Approve | OrderTransition::ReopenForInvoice => OrderStatus::Approved,
            OrderTransition::Reject => OrderStatus::Rejected,
            OrderTransition::Cancel | OrderTransition::CancelFailed => OrderStatus::Cancelled,
            OrderTransition::Invoice => OrderStatus::Invoiced,
            OrderTransition::Deliver | OrderTransition::DeliverDispatched => OrderStatus::Delivered,
            OrderTransition::Dispatch | OrderTransition::Redispatch => OrderStatus::OutForDelivery,
            OrderTransition::FailDelivery => OrderStatus::Failed,
        }
    }

    /// Whether the move gives the order's cylinders back to the stock item.
    pub fn returns_stock(self) -> bool {
        self.from().holds_stock() && !self.to().holds_stock()
    }

    /// The error for an order found in `actual` instead of `self.from()`.
    pub fn conflict(self, actual: OrderStatus) -> Error {
        let action = match self {
            OrderTransition::Approve => "approved",
            OrderTransition::Reject => "rejected",
            OrderTransition::Cancel => "cancelled",
            OrderTransition::Invoice => "invoiced",
            OrderTransition::ReopenForInvoice => "reopened",
            OrderTransition::Deliver | OrderTransition::DeliverDispatched => "delivered",
            OrderTransition::Dispatch | OrderTransition::Redispatch => "dispatched",
            OrderTransition::FailDelivery => "marked failed",
            OrderTransition::CancelFailed => "cancelled",
        };
        Error::conflict_with(
            "invalid_state",
            format!("order is {actual}: only a {} order can be {action}", self.from()),
            serde_json::json!({ "status": actual.as_str(), "required": self.from().as_str() }),
        )
    }
}

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

    /// The stored name of the entity: `order`, `invoice` or `payment`.
    pub fn entity(self) -> &'static str {
        match self {
            StatusChange::Order { .. } => "order",
            StatusChange::Invoice { .. } => "invoice",
            StatusChange::Payment { .. } => "payment",
        }
    }

    pub fn from_text(self) -> Option<&'static str> {
        match self {
            StatusChange::Order { from, .. } => from.map(OrderStatus::as_str),
            StatusChange::Invoice { from, .. } => from.map(InvoiceStatus::as_str),
            StatusChange::Payment { from, .. } => from.map(PaymentStatus::as_str),
        }
    }

    pub fn to_text(self) -> &'static str {
        match self {
            StatusChange::Order { to, .. } => to.as_str(),
            StatusChange::Invoice { to, .. } => to.as_str(),
            StatusChange::Payment { to, .. } => to.as_str(),
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
            "payment" => both(from, to).map(|(from, to)| StatusChange::Payment { from, to })?,
            other => return Err(Error::invalid("entity", format!("'{other}' is not order, invoice or payment"))),
        })
    }
}

/// Checks that `path` (statuses in time order, starting at creation) is a walk of the machine.
pub fn is_legal_order_path(path: &[OrderStatus]) -> bool {
    path.first().is_none_or(|first| *first == OrderStatus::Pending) && path.windows(2).all(|w| w[0].can_become(w[1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_are_exactly_the_documented_ones() {
        use OrderStatus::*;
        let legal = [
            (Pending, Approved),
            (Pending, Rejected),
            (Pending, Cancelled),
            (Approved, Invoiced),
            (Invoiced, Approved),
            (Invoiced, Delivered),
            (Invoiced, OutForDelivery),
            (OutForDelivery, Delivered),
            (OutForDelivery, Failed),
            (Failed, OutForDelivery),
            (Failed, Cancelled),
        ];
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                assert_eq!(from.can_become(*to), legal.contains(&(*from, *to)), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn terminal_states_stay_put() {
        for terminal in [OrderStatus::Rejected, OrderStatus::Cancelled, OrderStatus::Delivered] {
            assert!(OrderStatus::ALL.iter().all(|to| !terminal.can_become(*to)));
        }
    }

    #[test]
    fn only_reject_and_cancel_return_stock() {
        let returning: Vec<_> = OrderTransition::ALL.iter().filter(|t| t.returns_stock()).collect();
        assert_eq!(returning, [&OrderTransition::Reject, &OrderTransition::Cancel, &OrderTransition::CancelFailed]);
    }

    #[test]
    fn paths() {
        use OrderStatus::*;
        assert!(is_legal_order_path(&[Pending, Approved, Invoiced, Approved, Invoiced, Delivered]));
        assert!(is_legal_order_path(&[Pending, Approved, Invoiced, OutForDelivery, Failed, OutForDelivery, Delivered]));
        assert!(is_legal_order_path(&[Pending, Approved, Invoiced, OutForDelivery, Failed, Cancelled]));
        assert!(!is_legal_order_path(&[Pending, Approved, OutForDelivery]));
        assert!(!is_legal_order_path(&[Pending, Invoiced]));
        assert!(!is_legal_order_path(&[Approved]));
        assert!(!is_legal_order_path(&[Pending, Cancelled, Approved]));
    }

    #[test]
    fn reserving_statuses_are_those_that_hold_undelivered_stock() {
        let reserving: Vec<_> =
            OrderStatus::ALL.iter().copied().filter(|s| s.holds_stock() && *s != OrderStatus::Delivered).collect();
        assert_eq!(reserving, OrderStatus::RESERVING);
    }

    #[test]
    fn changes_round_trip() {
        let change = StatusChange::order(OrderTransition::Invoice);
        assert_eq!(StatusChange::parse(change.entity(), change.from_text(), change.to_text()).unwrap(), change);
        assert!(StatusChange::invoice(InvoiceStatus::Approved, InvoiceStatus::Rejected).is_err());
        assert!(StatusChange::parse("order", None, "shipped").is_err());
    }

    #[test]
    fn json_is_the_stored_text() {
        for status in OrderStatus::ALL {
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
    }

    #[test]
    fn parse_round_trip() {
        for status in OrderStatus::ALL {
            assert_eq!(status.as_str().parse::<OrderStatus>().unwrap(), *status);
        }
        assert!("Pending".parse::<OrderStatus>().is_err());
    }
}
