//! Admin reports, each computed by one SQL query in the store: sales of delivered orders,
//! stock levels and seller performance. Field names are the stable JSON names of the CLI's
//! `--format json`.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Serialize;

use crate::domain::Role;
use crate::error::{Error, Result};
use crate::policy::Actor;
use crate::service::Gasstock;
use crate::store::Store;

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

/// One group of delivered orders in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SalesRow {
    /// Seller email, brand, location or `YYYY-MM-DD`, as `by` says.
    #[sqlx(rename = "group_key")]
    pub key: String,
    pub currency: String,
    /// Delivered orders.
    pub orders: i64,
    /// Cylinders delivered.
    pub quantity: i64,
    /// Sum of the orders' totals (quantity x frozen unit price), minor units.
    pub revenue: i64,
}

/// Totals of a sales report in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SalesTotal {
    pub currency: String,
    pub orders: i64,
    pub quantity: i64,
    pub revenue: i64,
}

/// `report sales`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SalesReport {
    pub by: SalesGrouping,
    pub from: Option<DateTime<Utc>>,
    /// Exclusive end.
    pub until: Option<DateTime<Utc>>,
    pub rows: Vec<SalesRow>,
    /// One per currency; money in different currencies is never added up.
    pub totals: Vec<SalesTotal>,
}

impl SalesReport {
    pub fn new(query: SalesQuery, rows: Vec<SalesRow>) -> Self {
        let mut totals: BTreeMap<String, SalesTotal> = BTreeMap::new();
        for row in &rows {
            let total = totals.entry(row.currency.clone()).or_insert_with(|| SalesTotal {
                currency: row.currency.clone(),
                orders: 0,
                quantity: 0,
                revenue: 0,
            });
            total.orders += row.orders;
            total.quantity += row.quantity;
            total.revenue = total.revenue.saturating_add(row.revenue);
        }
        SalesReport { by: query.by, from: query.from, until: query.until, rows, totals: totals.into_values().collect() }
    }
}

/// Default threshold of `report stock --low`.
pub const DEFAULT_LOW_STOCK: i64 = 5;

/// One stock item in `report stock`.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct StockReportRow {
    pub id: i64,
    pub seller_id: i64,
    pub seller_email: String,
    pub brand: String,
    #[sqlx(rename = "weight_g", try_from = "i64")]
    pub weight_kg: crate::domain::WeightKg,
    pub location: String,
    /// Available to order.
    pub quantity: i64,
    /// Held by orders that are pending, approved or invoiced.
    pub reserved: i64,
    pub unit_price: i64,
    pub currency: String,
    /// `quantity <= low`.
    pub low: bool,
}

/// One seller in `report sellers`.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct SellerReportRow {
    pub seller_id: i64,
    pub email: String,
    pub name: String,
    /// Orders placed on the seller's stock, in any status.
    pub orders: i64,
    pub delivered: i64,
    /// Sum of delivered orders' totals, minor units of `currency`.
    pub revenue: i64,
    /// The currency of the delivered orders; `MIXED` when there are several (then
    /// `revenue` is not meaningful: use `report sales --by seller`), `None` before the first.
    pub currency: Option<String>,
    /// Average feedback rating, `None` before the first.
    pub average_rating: Option<f64>,
    pub ratings: i64,
}

/// Reports and bulk imports are for admins.
pub(crate) fn require_admin(actor: &Actor) -> Result<()> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(Error::forbidden("only an admin can do this"))
    }
}

impl<S: Store> Gasstock<S> {
    /// Delivered orders per group and currency, with totals per currency.
    pub async fn sales_report(&self, actor: &Actor, query: SalesQuery) -> Result<SalesReport> {
        require_admin(actor)?;
        let rows = self.store().sales_report(query).await?;
        Ok(SalesReport::new(query, rows))
    }

    /// Every stock item, flagged `low` when its available quantity is at most `low`.
    pub async fn stock_report(&self, actor: &Actor, low: i64, only_low: bool) -> Result<Vec<StockReportRow>> {
        require_admin(actor)?;
        if low < 0 {
            return Err(Error::invalid("low", "must be 0 or more"));
        }
        self.store().stock_report(low, only_low).await
    }

    /// Orders, deliveries, revenue and ratings per seller.
    pub async fn sellers_report(&self, actor: &Actor) -> Result<Vec<SellerReportRow>> {
        require_admin(actor)?;
        self.store().sellers_report().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_ranges_are_inclusive_utc_days() {
        let day = |s| parse_day(s, "from").unwrap();
        let query =
            SalesQuery::from_days(SalesGrouping::Day, Some(day("2026-11-01")), Some(day("2026-11-30"))).unwrap();
        assert_eq!(query.from.unwrap().to_rfc3339(), "2026-11-01T00:00:00+00:00");
        assert_eq!(query.until.unwrap().to_rfc3339(), "2026-12-01T00:00:00+00:00");
        assert!(SalesQuery::from_days(SalesGrouping::Day, Some(day("2026-11-02")), Some(day("2026-11-01"))).is_err());
        assert!(parse_day("01/11/2026", "from").is_err());
        assert!("week".parse::<SalesGrouping>().is_err());
    }

    #[test]
    fn totals_per_currency() {
        let row = |key: &str, currency: &str, revenue| SalesRow {
            key: key.into(),
            currency: currency.into(),
            orders: 1,
            quantity: 2,
            revenue,
        };
        let report =
            SalesReport::new(SalesQuery::default(), vec![row("a", "RWF", 10), row("b", "RWF", 5), row("c", "USD", 7)]);
        assert_eq!(report.totals.len(), 2);
        assert_eq!((report.totals[0].orders, report.totals[0].revenue), (2, 15));
        assert_eq!(report.totals[1].revenue, 7);
    }
}
