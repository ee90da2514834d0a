//! Admin reports, each computed by one SQL query in the store: sales of delivered orders,
//! stock levels and seller performance. Field names are the stable JSON names of the CLI's
//! `--format json`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::commands::low_stock_threshold;
use crate::error::Result;
use crate::policy::{authorize, Actor, Operation};
use crate::service::Gasstock;

pub use crate::commands::{parse_day, SalesGrouping, SalesQuery};
pub use crate::store::{SalesRow, SellerReportRow, StockReportRow};

/// Totals of a sales report in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SalesTotal {
    pub currency: String,
    pub orders: i64,
    pub quantity: i64,
    /// An `i128`, as the rows' revenues are.
    pub revenue: i128,
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
            total.orders = total.orders.saturating_add(row.orders);
            total.quantity = total.quantity.saturating_add(row.quantity);
            // Rows are sums of i64 values over fewer than 2^31 orders: far from i128's limit.
            total.revenue += row.revenue;
        }
        SalesReport { by: query.by, from: query.from, until: query.until, rows, totals: totals.into_values().collect() }
    }
}

/// Default threshold of `report stock --low`.
pub const DEFAULT_LOW_STOCK: i64 = 5;

impl Gasstock {
    /// Delivered orders per group and currency, with totals per currency.
    pub async fn sales_report(&self, actor: &Actor, query: SalesQuery) -> Result<SalesReport> {
        authorize(actor, Operation::ViewReports)?;
        let rows = self.store().sales_report(query).await?;
        Ok(SalesReport::new(query, rows))
    }

    /// Every stock item, flagged `low` when its available quantity is at most `low`.
    pub async fn stock_report(&self, actor: &Actor, low: i64, only_low: bool) -> Result<Vec<StockReportRow>> {
        authorize(actor, Operation::ViewReports)?;
        self.store().stock_report(low_stock_threshold(low)?, only_low).await
    }

    /// Orders, deliveries, revenue and ratings per seller.
    pub async fn sellers_report(&self, actor: &Actor) -> Result<Vec<SellerReportRow>> {
        authorize(actor, Operation::ViewReports)?;
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
