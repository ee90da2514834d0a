//! Admin reports, each one SQL query: sales of delivered orders, stock levels, sellers. The
//! rows are defined here; the reports module above adds the totals and the admin check.
//!
//! Money sums cannot overflow whatever is stored: SQLite's `SUM()` of integers fails with
//! `integer overflow` past i64, and PostgreSQL's `SUM(bigint)` is a `numeric` that no BIGINT
//! column can hold then. So each sum is taken in two halves that stay small on both backends,
//! `SUM(x / 2^32)` and `SUM(x % 2^32)` (both truncate toward zero, so `x = hi * 2^32 + lo`
//! for every row, negative or not), and joined here in an `i128`: exact up to 2^31 rows.

use serde::Serialize;

use super::db::Sql;
use super::row::record;
use super::Store;
use crate::commands::{SalesGrouping, SalesQuery};
use crate::domain::{OrderStatus, Role, WeightKg};
use crate::error::Result;

/// The divisor that splits a sum into halves (see the module's comment).
const HALF: i64 = 1 << 32;

/// `SUM(expr)` as the two BIGINT columns `{name}_hi` and `{name}_lo`.
fn split_sum(expr: &str, name: &str) -> String {
    format!("CAST(SUM(({expr}) / {HALF}) AS BIGINT) AS {name}_hi, CAST(SUM(({expr}) % {HALF}) AS BIGINT) AS {name}_lo")
}

/// The sum whose halves [`split_sum`] gave.
fn joined(hi: i64, lo: i64) -> i128 {
    i128::from(hi) * i128::from(HALF) + i128::from(lo)
}

/// One group of delivered orders in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SalesRow {
    /// Seller email, brand, location or `YYYY-MM-DD`, as `by` says.
    pub key: String,
    pub currency: String,
    /// Delivered orders.
    pub orders: i64,
    /// Cylinders delivered.
    pub quantity: i64,
    /// Sum of the orders' totals (quantity x frozen unit price), minor units; an `i128`, as a
    /// sum of many i64 totals may not fit in one.
    pub revenue: i128,
}

struct SalesRecord {
    group_key: String,
    currency: String,
    orders: i64,
    quantity: i64,
    revenue_hi: i64,
    revenue_lo: i64,
}

record!(SalesRecord { group_key, currency, orders, quantity, revenue_hi, revenue_lo });

impl From<SalesRecord> for SalesRow {
    fn from(row: SalesRecord) -> Self {
        SalesRow {
            key: row.group_key,
            currency: row.currency,
            orders: row.orders,
            quantity: row.quantity,
            revenue: joined(row.revenue_hi, row.revenue_lo),
        }
    }
}

/// One stock item in `report stock`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StockReportRow {
    pub id: i64,
    pub seller_id: i64,
    pub seller_email: String,
    pub brand: String,
    pub weight_kg: WeightKg,
    pub location: String,
    /// Available to order.
    pub quantity: i64,
    /// Held by orders that are pending, approved or invoiced ([`OrderStatus::RESERVING`]).
    pub reserved: i64,
    pub unit_price: i64,
    pub currency: String,
    /// `quantity <= low`.
    pub low: bool,
}

record!(StockReportRow {
    id,
    seller_id,
    seller_email,
    brand,
    weight_kg = "weight_g": i64,
    location,
    quantity,
    reserved,
    unit_price,
    currency,
    low,
});

/// One seller in `report sellers`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SellerReportRow {
    pub seller_id: i64,
    pub email: String,
    pub name: String,
    /// Orders placed on the seller's stock, in any status.
    pub orders: i64,
    pub delivered: i64,
    /// Sum of delivered orders' totals, minor units of `currency` (an `i128`: see [`SalesRow`]).
    pub revenue: i128,
    /// The currency of the delivered orders; `MIXED` when there are several (then
    /// `revenue` is not meaningful: use `report sales --by seller`), `None` before the first.
    pub currency: Option<String>,
    /// Average feedback rating, `None` before the first.
    pub average_rating: Option<f64>,
    pub ratings: i64,
}

struct SellerRecord {
    seller_id: i64,
    email: String,
    name: String,
    orders: i64,
    delivered: i64,
    revenue_hi: i64,
    revenue_lo: i64,
    currency: Option<String>,
    average_rating: Option<f64>,
    ratings: i64,
}

record!(SellerRecord {
    seller_id,
    email,
    name,
    orders,
    delivered,
    revenue_hi,
    revenue_lo,
    currency,
    average_rating,
    ratings,
});

impl From<SellerRecord> for SellerReportRow {
    fn from(row: SellerRecord) -> Self {
        SellerReportRow {
            seller_id: row.seller_id,
            email: row.email,
            name: row.name,
            orders: row.orders,
            delivered: row.delivered,
            revenue: joined(row.revenue_hi, row.revenue_lo),
            currency: row.currency,
            average_rating: row.average_rating,
            ratings: row.ratings,
        }
    }
}

impl Store {
    /// Delivered orders grouped as `query.by` says, per currency.
    pub async fn sales_report(&self, query: SalesQuery) -> Result<Vec<SalesRow>> {
        let day = self.dialect().utc_day("p.released_at");
        let (key, group, join) = match query.by {
            SalesGrouping::Seller => ("u.email", "u.email", " JOIN users u ON u.id = o.seller_id"),
            SalesGrouping::Brand => ("MIN(o.brand)", "lower(o.brand)", ""),
            SalesGrouping::Location => ("MIN(o.location)", "lower(o.location)", ""),
            SalesGrouping::Day => (day.as_str(), day.as_str(), ""),
        };
        // Deposits are owed back (a liability), not revenue.
        let revenue = split_sum("o.total_amount - o.deposit_amount", "revenue");
        let mut sql = Sql::new(format!(
            "SELECT {key} AS group_key, o.currency AS currency, COUNT(*) AS orders, \
             CAST(SUM(o.quantity) AS BIGINT) AS quantity, {revenue} \
             FROM orders o JOIN payments p ON p.order_id = o.id{join} WHERE o.status = "
        ));
        sql.push_bind(OrderStatus::Delivered);
        if let Some(from) = query.from {
            sql.push(" AND p.released_at >= ").push_bind(from);
        }
        if let Some(until) = query.until {
            sql.push(" AND p.released_at < ").push_bind(until);
        }
        sql.push(&format!(" GROUP BY {group}, o.currency ORDER BY group_key, currency"));
        let rows: Vec<SalesRecord> = self.read_all(sql).await?;
        Ok(rows.into_iter().map(SalesRow::from).collect())
    }

    /// Every stock item with its reserved quantity; `low` marks `quantity <= low`.
    pub async fn stock_report(&self, low: i64, only_low: bool) -> Result<Vec<StockReportRow>> {
        let mut sql = Sql::new(
            "SELECT s.id, s.seller_id, u.email AS seller_email, s.brand, s.weight_g, s.location, s.quantity, \
             CAST(COALESCE((SELECT SUM(o.quantity) FROM orders o WHERE o.inventory_id = s.id \
             AND o.status IN (",
        );
        sql.push_list(OrderStatus::RESERVING.iter().copied());
        sql.push(")), 0) AS BIGINT) AS reserved, s.unit_price, s.currency, s.quantity <= ");
        sql.push_bind(low).push(" AS low FROM stock_items s JOIN users u ON u.id = s.seller_id");
        if only_low {
            sql.push(" WHERE s.quantity <= ").push_bind(low);
        }
        sql.push(" ORDER BY u.email, s.brand, s.weight_g, s.location, s.id");
        self.read_all(sql).await
    }

    /// Orders, deliveries, revenue and ratings per seller.
    pub async fn sellers_report(&self) -> Result<Vec<SellerReportRow>> {
        let revenue = split_sum("CASE WHEN status = $1 THEN total_amount - deposit_amount ELSE 0 END", "revenue");
        let sql = Sql::new(format!(
            "SELECT u.id AS seller_id, u.email, u.name, \
             CAST(COALESCE(o.orders, 0) AS BIGINT) AS orders, \
             CAST(COALESCE(o.delivered, 0) AS BIGINT) AS delivered, \
             COALESCE(o.revenue_hi, 0) AS revenue_hi, COALESCE(o.revenue_lo, 0) AS revenue_lo, \
             o.currency AS currency, f.average_rating AS average_rating, \
             CAST(COALESCE(f.ratings, 0) AS BIGINT) AS ratings \
             FROM users u \
             LEFT JOIN (SELECT seller_id, COUNT(*) AS orders, \
                SUM(CASE WHEN status = $1 THEN 1 ELSE 0 END) AS delivered, \
                {revenue}, \
                CASE WHEN COUNT(DISTINCT CASE WHEN status = $1 THEN currency END) > 1 THEN 'MIXED' \
                ELSE MIN(CASE WHEN status = $1 THEN currency END) END AS currency \
                FROM orders GROUP BY seller_id) o ON o.seller_id = u.id \
             LEFT JOIN (SELECT seller_id, CAST(AVG(rating) AS DOUBLE PRECISION) AS average_rating, COUNT(*) AS ratings \
                FROM feedback GROUP BY seller_id) f ON f.seller_id = u.id \
             WHERE u.role = $2 ORDER BY u.id"
        ));
        let rows: Vec<SellerRecord> = self.read_all(sql.bind(OrderStatus::Delivered).bind(Role::Seller)).await?;
        Ok(rows.into_iter().map(SellerReportRow::from).collect())
    }
}
