//! Money as integer minor units with an ISO 4217 currency. Never floats.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// An ISO 4217 code: three ASCII capital letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Rwandan franc, the default; it has no minor unit, so 1 = 1 RWF.
    pub const RWF: Currency = Currency(*b"RWF");

    pub fn as_str(&self) -> &str {
        // Only ASCII capitals are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl Default for Currency {
    fn default() -> Self {
        Currency::RWF
    }
}

impl FromStr for Currency {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let upper = s.trim().to_ascii_uppercase();
        match upper.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|ch| ch.is_ascii_uppercase()) => Ok(Currency([*a, *b, *c])),
            _ => Err(Error::invalid("currency", format!("'{s}' is not an ISO 4217 currency code such as RWF"))),
        }
    }
}

impl TryFrom<String> for Currency {
    type Error = Error;

    fn try_from(value: String) -> Result<Self, Error> {
        value.parse()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A non-negative amount in the currency's minor unit. What a client sends (a unit price, a
/// delivery fee) is at most [`Amount::MAX`]; the totals computed from such amounts
/// ([`Amount::times`] a [`Quantity`](super::Quantity), [`Amount::plus`] a fee) stay far
/// below i64's limit, and reports sum them in 128 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Amount(i64);

impl Amount {
    pub const ZERO: Amount = Amount(0);

    /// The largest amount a client may send: 10^9 minor units (a billion RWF, ten million
    /// dollars in cents). Times [`Quantity::MAX`](super::Quantity::MAX) (10^9) plus a fee it
    /// is about 10^18, under i64's 9.2 x 10^18.
    pub const MAX: i64 = 1_000_000_000;

    /// An amount a client sent for `field`: from 0 to [`Amount::MAX`].
    pub fn new(minor_units: i64, field: &'static str) -> Result<Self, Error> {
        if minor_units < 0 {
            return Err(Error::invalid(field, "must not be negative"));
        }
        if minor_units > Self::MAX {
            return Err(Error::invalid(field, format!("must be at most {}", Self::MAX)));
        }
        Ok(Amount(minor_units))
    }

    /// An amount read back from the database (an order's frozen unit price): not negative,
    /// but not held to [`Amount::MAX`], which an earlier version did not enforce. Arithmetic
    /// on it stays checked.
    pub fn stored(minor_units: i64, field: &'static str) -> Result<Self, Error> {
        if minor_units < 0 {
            return Err(Error::invalid(field, "must not be negative"));
        }
        Ok(Amount(minor_units))
    }

    pub fn minor_units(self) -> i64 {
        self.0
    }

    /// `self * quantity`, refusing overflow instead of wrapping.
    pub fn times(self, quantity: i64) -> Result<Amount, Error> {
        self.0.checked_mul(quantity).map(Amount).ok_or_else(|| Error::invalid("quantity", "order total is too large"))
    }

    pub fn plus(self, other: Amount) -> Result<Amount, Error> {
        self.0.checked_add(other.0).map(Amount).ok_or_else(|| Error::invalid("amount", "amount is too large"))
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn currency_codes() {
        assert_eq!("rwf".parse::<Currency>().unwrap(), Currency::RWF);
        assert_eq!("USD".parse::<Currency>().unwrap().as_str(), "USD");
        for bad in ["", "RW", "RWFF", "R1F", "€€€", "usd "] {
            if bad == "usd " {
                assert!(bad.parse::<Currency>().is_ok(), "surrounding spaces are trimmed");
                continue;
            }
            assert!(bad.parse::<Currency>().is_err(), "{bad}");
        }
    }

    #[test]
    fn amounts_are_bounded() {
        assert!(Amount::new(-1, "unit_price").is_err());
        assert!(Amount::new(Amount::MAX + 1, "unit_price").is_err());
        assert!(Amount::new(i64::MAX, "unit_price").is_err());
        assert_eq!(Amount::new(Amount::MAX, "unit_price").unwrap().minor_units(), Amount::MAX);
        assert_eq!(Amount::new(1500, "p").unwrap().times(3).unwrap().minor_units(), 4500);
        // The largest order's total plus the largest fee still fits.
        let largest = Amount::new(Amount::MAX, "p").unwrap().times(crate::domain::Quantity::MAX).unwrap();
        assert!(largest.plus(Amount::new(Amount::MAX, "fee").unwrap()).is_ok());
        // Checked arithmetic still refuses what would not fit.
        let total = Amount(i64::MAX / 2 + 1);
        assert!(total.times(2).is_err() && total.plus(total).is_err());
    }

    proptest! {
        #[test]
        fn bounded_amounts_never_overflow(price in 0i64..=Amount::MAX, quantity in 1i64..=crate::domain::Quantity::MAX, fee in 0i64..=Amount::MAX) {
            let exact = price as i128 * quantity as i128 + fee as i128;
            let total = Amount::new(price, "p").unwrap().times(quantity).unwrap().plus(Amount::new(fee, "f").unwrap()).unwrap();
            prop_assert_eq!(total.minor_units() as i128, exact);
        }
    }
}
