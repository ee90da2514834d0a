//! A positive count of cylinders.

use serde::Serialize;

use crate::error::Error;

/// How many cylinders: at least 1, at most [`Quantity::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Quantity(i64);

impl Quantity {
    /// A sanity bound that keeps totals far from overflow.
    pub const MAX: i64 = 1_000_000_000;

    pub fn new(count: i64) -> Result<Self, Error> {
        Self::parse_field(count, "quantity")
    }

    pub fn parse_field(count: i64, field: &'static str) -> Result<Self, Error> {
        match count {
            c if c < 1 => Err(Error::invalid(field, "must be at least 1")),
            c if c > Self::MAX => Err(Error::invalid(field, format!("must be at most {}", Self::MAX))),
            c => Ok(Quantity(c)),
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// Stock on hand may be zero, never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct StockLevel(i64);

impl StockLevel {
    pub fn new(count: i64) -> Result<Self, Error> {
        match count {
            c if c < 0 => Err(Error::invalid("quantity", "must not be negative")),
            c if c > Quantity::MAX => Err(Error::invalid("quantity", format!("must be at most {}", Quantity::MAX))),
            c => Ok(StockLevel(c)),
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert!(Quantity::new(0).is_err());
        assert!(Quantity::new(-3).is_err());
        assert!(Quantity::new(Quantity::MAX + 1).is_err());
        assert_eq!(Quantity::new(7).unwrap().get(), 7);
        assert!(StockLevel::new(-1).is_err());
        assert_eq!(StockLevel::new(0).unwrap().get(), 0);
    }
}
