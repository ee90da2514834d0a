//! The stock ledger: one movement per change of an item's full (`quantity`) or empty
//! (`empties`) count, written by the change's own unit of work, and the item's price history.

use chrono::{DateTime, Utc};

use super::db::{Conn, Sql};
use super::page::select_counted;
use super::{ActorId, Store};
use crate::commands::PageRequest;
use crate::domain::MovementReason;
use crate::error::Result;
use crate::models::{Paged, PriceChange, StockMovement};

pub(super) const MOVEMENT_COLUMNS: &str =
    "id, inventory_id, full_delta, empty_delta, reason, order_id, return_id, actor_id, note, created_at";

const PRICE_COLUMNS: &str = "id, inventory_id, unit_price, deposit, currency, actor_id, created_at";

/// One ledger line to append.
#[derive(Debug, Clone, Copy)]
pub(super) struct Movement<'a> {
    pub inventory_id: i64,
    pub full_delta: i64,
    pub empty_delta: i64,
    pub reason: MovementReason,
    pub order_id: Option<i64>,
    pub return_id: Option<i64>,
    pub actor: Option<ActorId>,
    pub note: Option<&'a str>,
    pub at: DateTime<Utc>,
}

impl Movement<'_> {
    /// A movement of an order's cylinders.
    pub fn of_order(
        inventory_id: i64,
        full_delta: i64,
        empty_delta: i64,
        reason: MovementReason,
        order_id: i64,
        actor: ActorId,
        at: DateTime<Utc>,
    ) -> Movement<'static> {
        Movement {
            inventory_id,
            full_delta,
            empty_delta,
            reason,
            order_id: Some(order_id),
            return_id: None,
            actor: Some(actor),
            note: None,
            at,
        }
    }
}

/// Appends one movement, in the caller's transaction (which changed the counts).
pub(super) async fn record(conn: &mut Conn<'_>, m: Movement<'_>) -> Result<()> {
    let insert = Sql::new(
        "INSERT INTO stock_movements (inventory_id, full_delta, empty_delta, reason, order_id, return_id, actor_id, \
         note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(m.inventory_id)
    .bind(m.full_delta)
    .bind(m.empty_delta)
    .bind(m.reason)
    .bind(m.order_id)
    .bind(m.return_id)
    .bind(m.actor)
    .bind(m.note)
    .bind(m.at);
    conn.execute(insert).await?;
    Ok(())
}

/// Which stock items a set-count write touched.
#[derive(Debug, Clone, Copy)]
pub(super) enum Scope {
    Item(i64),
    /// The seller's items a bulk write stamped with `updated_at = at` (those it changed).
    SellerChangedAt(i64, DateTime<Utc>),
    All,
}

impl Scope {
    /// The condition on `s` (the stock item), its parameter numbered `$n`.
    fn push_condition(self, sql: &mut Sql) {
        match self {
            Scope::Item(id) => sql.push("s.id = ").push_bind(id),
            Scope::SellerChangedAt(id, at) => {
                sql.push("s.seller_id = ").push_bind(id).push(" AND s.updated_at = ").push_bind(at)
            }
            Scope::All => sql.push("1 = 1"),
        };
    }
}

/// For writes that set counts rather than move them (the seller's upsert, the CSV import, the
/// seed): appends, for each item in `scope`, the movement from what its ledger says to what
/// it now holds, when they differ. Runs after the write, in its transaction: the item's row
/// is then locked, so no other movement of it can slip in between.
pub(super) async fn reconcile(
    conn: &mut Conn<'_>,
    scope: Scope,
    reason: MovementReason,
    actor: Option<ActorId>,
    at: DateTime<Utc>,
) -> Result<u64> {
    let mut insert = Sql::new(
        "INSERT INTO stock_movements (inventory_id, full_delta, empty_delta, reason, actor_id, created_at) \
         SELECT id, quantity - held_full, empties - held_empty, $1, $2, $3 FROM ( \
           SELECT s.id, s.quantity, s.empties, \
             (SELECT COALESCE(SUM(m.full_delta), 0) FROM stock_movements m WHERE m.inventory_id = s.id) AS held_full, \
             (SELECT COALESCE(SUM(m.empty_delta), 0) FROM stock_movements m WHERE m.inventory_id = s.id) AS held_empty \
           FROM stock_items s WHERE ",
    )
    .bind(reason)
    .bind(actor)
    .bind(at);
    scope.push_condition(&mut insert);
    insert.push(") AS counted WHERE quantity <> held_full OR empties <> held_empty ORDER BY id");
    conn.execute(insert).await
}

/// Appends the price of each item in `scope` to its history when it differs from the last
/// one kept.
pub(super) async fn record_prices(
    conn: &mut Conn<'_>,
    scope: Scope,
    actor: Option<ActorId>,
    at: DateTime<Utc>,
) -> Result<u64> {
    let mut insert = Sql::new(
        "INSERT INTO stock_prices (inventory_id, unit_price, deposit, currency, actor_id, created_at) \
         SELECT s.id, s.unit_price, s.deposit, s.currency, $1, $2 FROM stock_items s \
         WHERE NOT EXISTS (SELECT 1 FROM stock_prices p WHERE p.id = \
           (SELECT MAX(l.id) FROM stock_prices l WHERE l.inventory_id = s.id) \
           AND p.unit_price = s.unit_price AND p.deposit = s.deposit AND p.currency = s.currency) AND ",
    )
    .bind(actor)
    .bind(at);
    scope.push_condition(&mut insert);
    insert.push(" ORDER BY s.id");
    conn.execute(insert).await
}

impl Store {
    /// An item's ledger, newest first.
    pub async fn list_movements(&self, inventory_id: i64, page: PageRequest) -> Result<Paged<StockMovement>> {
        self.fetch_page(page, |sql, count_only| {
            select_counted(sql, count_only, MOVEMENT_COLUMNS, "stock_movements WHERE inventory_id = ");
            sql.push_bind(inventory_id);
            if !count_only {
                sql.push(" ORDER BY id DESC");
            }
        })
        .await
    }

    /// An item's prices, oldest first.
    pub async fn list_prices(&self, inventory_id: i64) -> Result<Vec<PriceChange>> {
        let select = Sql::new(format!("SELECT {PRICE_COLUMNS} FROM stock_prices WHERE inventory_id = $1 ORDER BY id"));
        self.read(move |mut conn| Box::pin(async move { conn.fetch_all(select.bind(inventory_id)).await })).await
    }
}
