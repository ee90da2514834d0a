//! Report queries as an admin asks for them (the CLI's `report` flags), checked.

use std::str::FromStr;

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Serialize;

use crate::error::{Error, Result};

/// How `report sales` groups delivered orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SalesGrouping {
    #[default]
    Seller,
    Brand,
    Location,
    /// The UTC day the delivery was confirmed (`YYYY-MM-DD`).
    Day,
}

impl SalesGrouping {
    pub fn as_str(self) -> &'static str {
        match self {
            SalesGrouping::Seller => "seller",
            SalesGrouping::Brand => "brand",
            SalesGrouping::Location => "location",
            SalesGrouping::Day => "day",
        }
    }
}

impl FromStr for SalesGrouping {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "seller" => Ok(SalesGrouping::Seller),
            "brand" => Ok(SalesGrouping::Brand),
            "location" => Ok(SalesGrouping::Location),
            "day" => Ok(SalesGrouping::Day),
            _ => Err(Error::invalid("by", format!("'{s}' is not one of seller, brand, location, day"))),
        }
    }
}

/// Which deliveries a sales report covers: confirmed at or after `from` and before
/// `until`, both optional. Bound as timestamps, so both backends compare them as instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SalesQuery {
    pub by: SalesGrouping,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl SalesQuery {
    /// From whole UTC days, both inclusive (`--from 2026-11-01 --to 2026-11-30`).
    pub fn from_days(by: SalesGrouping, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<Self> {
        if let (Some(from), Some(to)) = (from, to) {
            if to < from {
                return Err(Error::invalid("to", format!("{to} is before --from {from}")));
            }
        }
        let start = |day: NaiveDate| day.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        let until = match to {
            None => None,
            Some(day) => Some(
                day.checked_add_days(Days::new(1))
                    .and_then(start)
                    .ok_or_else(|| Error::invalid("to", "date out of range"))?,
            ),
        };
        Ok(SalesQuery { by, from: from.and_then(start), until })
    }
}

/// Parses a `YYYY-MM-DD` date given for `field`.
pub fn parse_day(input: &str, field: &'static str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(input.trim(), "%Y-%m-%d")
        .map_err(|_| Error::invalid(field, format!("'{input}' is not a date: use YYYY-MM-DD")))
}

/// The threshold of `report stock --low N`: 0 or more.
pub fn low_stock_threshold(low: i64) -> Result<i64> {
    if low < 0 {
        return Err(Error::invalid("low", "must be 0 or more"));
    }
    Ok(low)
}
