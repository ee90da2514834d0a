//! Cylinder sales (issue 11): an order's kind, a stock item's low-level alert and the reasons
//! of an adjustment. The ledger's reasons and a return's status share words with the order
//! statuses and stay in `status.rs`.

use super::string_enum::string_enum;

string_enum!(
    /// A refill: the buyer hands over an empty and pays for the gas. New: the buyer keeps a
    /// cylinder and pays its deposit on top.
    OrderKind {
        Refill => "refill",
        New => "new",
    }
);

impl OrderKind {
    /// What an order without a `kind` is: today's behaviour.
    pub const DEFAULT: OrderKind = OrderKind::Refill;
}

string_enum!(
    /// A stock item's level as a status event records it: `low` when an order or an
    /// adjustment took its full count below its low-stock threshold.
    StockAlert {
        Low => "low",
    }
);

impl StockAlert {
    /// Whether taking `taken` full cylinders, leaving `quantity`, crossed `threshold` from
    /// at or above it to below it: once per crossing, since the count before was not low.
    pub fn crossed_low(quantity: i64, taken: i64, threshold: Option<i64>) -> bool {
        threshold.is_some_and(|t| taken > 0 && quantity < t && quantity + taken >= t)
    }
}

string_enum!(
    /// The reasons a seller or an admin may give for an adjustment.
    AdjustmentReason {
        Damaged => "damaged",
        Lost => "lost",
        Found => "found",
        Stocktake => "stocktake",
        Correction => "correction",
    }
);
