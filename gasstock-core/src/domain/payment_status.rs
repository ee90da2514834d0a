//! How an order is paid (issue 12): cash on delivery or mobile money. The collection's and
//! the payout's statuses are in `status.rs` (`failed` is also an order status).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// How the buyer pays: cash on delivery (the default, the behaviour of the first version) or
/// mobile money, asked for when the invoice is approved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    #[default]
    CashOnDelivery,
    MobileMoney,
}

impl PaymentMethod {
    pub const ALL: &'static [PaymentMethod] = &[PaymentMethod::CashOnDelivery, PaymentMethod::MobileMoney];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::CashOnDelivery => "cash_on_delivery",
            PaymentMethod::MobileMoney => "mobile_money",
        }
    }
}

impl FromStr for PaymentMethod {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let found = Self::ALL.iter().copied().find(|v| v.as_str() == s);
        found.ok_or_else(|| {
            Error::invalid(
                "payment_method",
                format!("'{s}' is not a payment method: use cash_on_delivery or mobile_money"),
            )
        })
    }
}

impl TryFrom<String> for PaymentMethod {
    type Error = Error;

    fn try_from(value: String) -> Result<Self, Error> {
        value.parse()
    }
}

impl fmt::Display for PaymentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
