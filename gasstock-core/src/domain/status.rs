//! Statuses and the one state machine they move through (docs/api.md, "Workflow"). This is
//! the only Rust file that spells a status: the store binds them from these enums.

use super::cylinder_status::AdjustmentReason;
use super::string_enum::string_enum;
use crate::error::Error;

string_enum!(
    /// Where an order is in its life. `expired`: not approved within `GASSTOCK_PENDING_TTL`,
    /// or a mobile-money order not paid within `GASSTOCK_PAYMENT_TTL` of its request-to-pay.
    OrderStatus {
        Pending => "pending",
        Approved => "approved",
        Rejected => "rejected",
        Cancelled => "cancelled",
        Invoiced => "invoiced",
        Delivered => "delivered",
        Expired => "expired",
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
    /// A mobile-money request-to-pay (one per attempt; a failed one may be followed by a new
    /// one): requested, then collected or failed, never back.
    CollectionStatus {
        Requested => "requested",
        Collected => "collected",
        Failed => "failed",
    }
);

string_enum!(
    /// A seller's payout of a mobile-money order: queued (its reference recorded), sent (the
    /// provider accepted the transfer), then paid or failed.
    PayoutStatus {
        Queued => "queued",
        Sent => "sent",
        Paid => "paid",
        Failed => "failed",
    }
);

impl CollectionStatus {
    pub fn can_become(self, to: CollectionStatus) -> bool {
        self == CollectionStatus::Requested && to != CollectionStatus::Requested
    }
}

string_enum!(
    /// A webhook delivery: retried while pending, then delivered or given up (dead).
    WebhookDeliveryStatus {
        Pending => "pending",
        Delivered => "delivered",
        Dead => "dead",
    }
);

string_enum!(
    /// Why a stock item's full or empty count changed: one per line of the stock ledger.
    MovementReason {
        Opening => "opening",
        Upsert => "upsert",
        Import => "import",
        Placed => "placed",
        Rejected => "rejected",
        Cancelled => "cancelled",
        Expired => "expired",
        Delivered => "delivered",
        Returned => "returned",
        Refill => "refill",
        Damaged => "damaged",
        Lost => "lost",
        Found => "found",
        Stocktake => "stocktake",
        Correction => "correction",
    }
);

string_enum!(
    /// An empty return waits for the seller (or an admin) to accept or reject it.
    ReturnStatus {
        Pending => "pending",
        Accepted => "accepted",
        Rejected => "rejected",
    }
);

impl From<AdjustmentReason> for MovementReason {
    fn from(reason: AdjustmentReason) -> Self {
        match reason {
            AdjustmentReason::Damaged => MovementReason::Damaged,
            AdjustmentReason::Lost => MovementReason::Lost,
            AdjustmentReason::Found => MovementReason::Found,
            AdjustmentReason::Stocktake => MovementReason::Stocktake,
            AdjustmentReason::Correction => MovementReason::Correction,
        }
    }
}

impl MovementReason {
    /// The ledger reason of an order move that gives its cylinders back (`None` otherwise).
    pub fn stock_returned_by(to: OrderStatus) -> Option<MovementReason> {
        match to {
            OrderStatus::Rejected => Some(MovementReason::Rejected),
            OrderStatus::Cancelled => Some(MovementReason::Cancelled),
            OrderStatus::Expired => Some(MovementReason::Expired),
            _ => None,
        }
    }
}

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
        !matches!(self, OrderStatus::Rejected | OrderStatus::Cancelled | OrderStatus::Expired)
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
    /// A pending order outlived `GASSTOCK_PENDING_TTL` (the expiry sweep, no actor).
    Expire,
    /// An invoiced mobile-money order was not paid within `GASSTOCK_PAYMENT_TTL`.
    ExpireUnpaid,
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
        OrderTransition::Expire,
        OrderTransition::ExpireUnpaid,
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
            OrderTransition::Approve | OrderTransition::Reject | OrderTransition::Cancel | OrderTransition::Expire => {
                OrderStatus::Pending
            }
            OrderTransition::Invoice => OrderStatus::Approved,
            OrderTransition::ReopenForInvoice
            | OrderTransition::Deliver
            | OrderTransition::ExpireUnpaid
            | OrderTransition::Dispatch => OrderStatus::Invoiced,
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
            OrderTransition::Expire | OrderTransition::ExpireUnpaid => OrderStatus::Expired,
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
            OrderTransition::Expire | OrderTransition::ExpireUnpaid => "expired",
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

/// Checks that `path` (statuses in time order, starting at creation) is a walk of the machine.
pub fn is_legal_order_path(path: &[OrderStatus]) -> bool {
    path.first().is_none_or(|first| *first == OrderStatus::Pending) && path.windows(2).all(|w| w[0].can_become(w[1]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::StatusChange;

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
            (Pending, Expired),
            (Invoiced, Expired),
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
        for terminal in [OrderStatus::Rejected, OrderStatus::Cancelled, OrderStatus::Delivered, OrderStatus::Expired] {
            assert!(OrderStatus::ALL.iter().all(|to| !terminal.can_become(*to)));
        }
    }

    #[test]
    fn only_reject_cancel_and_expiry_return_stock() {
        let returning: Vec<_> = OrderTransition::ALL.iter().filter(|t| t.returns_stock()).collect();
        let expected = [
            &OrderTransition::Reject,
            &OrderTransition::Cancel,
            &OrderTransition::Expire,
            &OrderTransition::ExpireUnpaid,
            &OrderTransition::CancelFailed,
        ];
        assert_eq!(returning, expected);
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
        let collected =
            StatusChange::Collection { from: Some(CollectionStatus::Requested), to: CollectionStatus::Collected };
        assert_eq!(
            StatusChange::parse(collected.entity(), collected.from_text(), collected.to_text()).unwrap(),
            collected
        );
        for (from, to) in [(PayoutStatus::Sent, PayoutStatus::Failed), (PayoutStatus::Queued, PayoutStatus::Paid)] {
            let payout = StatusChange::Payout { from: Some(from), to };
            assert_eq!(StatusChange::parse(payout.entity(), payout.from_text(), payout.to_text()).unwrap(), payout);
        }
        let failed = StatusChange::Collection { from: Some(CollectionStatus::Requested), to: CollectionStatus::Failed };
        assert_eq!(StatusChange::parse("payment", Some("requested"), "failed").unwrap(), failed);
        let released = StatusChange::Payment { from: None, to: PaymentStatus::Released };
        assert_eq!(StatusChange::parse("payment", None, "released").unwrap(), released);
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
