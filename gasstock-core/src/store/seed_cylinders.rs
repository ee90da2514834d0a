//! The cylinder side of a seeded chunk of orders (part of [`super::Bulk::seed`]): invoices
//! carry their orders' deposits, delivered new-cylinder orders credit the buyers' deposit
//! balances, and one in three of them has an accepted return of one empty, which lands in
//! the seller's empties with its ledger line. Set-based statements over the chunk's id range.

use chrono::{DateTime, Utc};

use super::db::{Conn, Sql};
use crate::domain::{MovementReason, OrderKind, OrderStatus, ReturnStatus};
use crate::error::Result;

/// Seeds the deposits and returns of orders `first..=last`; returns the returns written.
pub(super) async fn seed_deposits(conn: &mut Conn<'_>, first: i64, last: i64, at: DateTime<Utc>) -> Result<u64> {
    let invoices = Sql::new(
        "UPDATE invoices SET deposit_amount = (SELECT deposit_amount FROM orders WHERE orders.id = invoices.order_id) \
         WHERE order_id BETWEEN $1 AND $2",
    );
    conn.execute(invoices.bind(first).bind(last)).await?;
    let entry_base = max_id(conn, "deposit_entries").await?;
    let return_base = max_id(conn, "cylinder_returns").await?;
    let delivered_new = "FROM orders WHERE id BETWEEN $1 AND $2 AND kind = $3 AND status = $4";
    let credits = Sql::new(format!(
        "INSERT INTO deposit_entries (buyer_id, seller_id, inventory_id, cylinders, amount, order_id, created_at) \
         SELECT buyer_id, seller_id, inventory_id, quantity, deposit_amount, id, updated_at {delivered_new} ORDER BY id"
    ));
    conn.execute(credits.bind(first).bind(last).bind(OrderKind::New).bind(OrderStatus::Delivered)).await?;
    let returns = Sql::new(format!(
        "INSERT INTO cylinder_returns (buyer_id, seller_id, inventory_id, quantity, status, good, damaged, \
         deposit_released, refund_amount, created_at, updated_at) \
         SELECT buyer_id, seller_id, inventory_id, 1, $5, 1, 0, deposit_amount / quantity, deposit_amount / quantity, \
         updated_at, updated_at {delivered_new} AND id % 3 = 0 ORDER BY id"
    ));
    let returned = conn
        .execute(
            returns
                .bind(first)
                .bind(last)
                .bind(OrderKind::New)
                .bind(OrderStatus::Delivered)
                .bind(ReturnStatus::Accepted),
        )
        .await?;
    let debits = Sql::new(
        "INSERT INTO deposit_entries (buyer_id, seller_id, inventory_id, cylinders, amount, return_id, created_at) \
         SELECT buyer_id, seller_id, inventory_id, -quantity, -deposit_released, id, updated_at \
         FROM cylinder_returns WHERE id > $1 ORDER BY id",
    );
    conn.execute(debits.bind(return_base)).await?;
    let balances = Sql::new(
        "INSERT INTO deposit_balances (buyer_id, inventory_id, seller_id, cylinders, amount, pending, updated_at) \
         SELECT buyer_id, inventory_id, MIN(seller_id), SUM(cylinders), SUM(amount), 0, $2 FROM deposit_entries \
         WHERE id > $1 GROUP BY buyer_id, inventory_id \
         ON CONFLICT (buyer_id, inventory_id) DO UPDATE SET cylinders = deposit_balances.cylinders + excluded.cylinders, \
         amount = deposit_balances.amount + excluded.amount, updated_at = excluded.updated_at",
    );
    conn.execute(balances.bind(entry_base).bind(at)).await?;
    let empties = Sql::new(
        "UPDATE stock_items SET empties = empties + (SELECT SUM(r.good) FROM cylinder_returns r \
         WHERE r.inventory_id = stock_items.id AND r.id > $1) \
         WHERE id IN (SELECT inventory_id FROM cylinder_returns WHERE id > $1)",
    );
    conn.execute(empties.bind(return_base)).await?;
    let lines = Sql::new(
        "INSERT INTO stock_movements (inventory_id, full_delta, empty_delta, reason, return_id, created_at) \
         SELECT inventory_id, 0, good, $2, id, updated_at FROM cylinder_returns WHERE id > $1 ORDER BY id",
    );
    conn.execute(lines.bind(return_base).bind(MovementReason::Returned)).await?;
    Ok(returned)
}

async fn max_id(conn: &mut Conn<'_>, table: &str) -> Result<i64> {
    let max: Option<i64> = conn.fetch_scalar(Sql::new(format!("SELECT MAX(id) FROM {table}"))).await?;
    Ok(max.unwrap_or(0))
}
