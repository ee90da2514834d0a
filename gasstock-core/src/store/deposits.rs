//! What a delivery does to cylinders (a refill's empties come to the seller, a new sale's
//! deposits go on the buyer's balance), empty returns against those deposits, and the balances.
//!
//! A balance is kept per buyer and stock item: the cylinders the buyer holds deposits for, the
//! money, and `pending` (cylinders promised to returns not settled yet). A return reserves
//! its cylinders with a conditional UPDATE (`cylinders - pending >= q`), so concurrent returns
//! can never promise more than is held.

use chrono::{DateTime, Utc};

use super::db::{now, Conn, Sql};
use super::movements::{self, Movement};
use super::page::select_counted;
use super::{ActorId, Store};
use crate::commands::{PageRequest, ReturnDraft, ReturnSettlement};
use crate::domain::{MovementReason, OrderKind, ReturnStatus};
use crate::error::{Error, Result};
use crate::models::{CylinderReturn, DepositBalance, DepositEntry, Order, Paged};

const RETURN_COLUMNS: &str = "id, buyer_id, seller_id, inventory_id, quantity, status, good, damaged, \
    deposit_released, refund_amount, decided_by, created_at, updated_at";

const BALANCE_COLUMNS: &str = "buyer_id, seller_id, inventory_id, cylinders, amount, pending, updated_at";

const ENTRY_COLUMNS: &str = "id, buyer_id, seller_id, inventory_id, cylinders, amount, order_id, return_id, created_at";

/// Whose balances to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepositScope {
    Buyer(i64),
    Seller(i64),
    All,
}

/// The cylinder side of a confirmed delivery, in its transaction: a refill's empties go to
/// the seller (`empties += quantity`, one movement); a new sale's frozen deposit goes on the
/// buyer's balance with the seller.
/// `empties_received`: what the driver counted at the door (`None`: the whole exchange, as an
/// admin's confirmation assumes). Fewer empties than cylinders on a refill are recorded as
/// they are: the ledger shows what the seller actually got back.
pub(super) async fn on_delivery(
    conn: &mut Conn<'_>,
    order: &Order,
    empties_received: Option<i64>,
    actor: ActorId,
    at: DateTime<Utc>,
) -> Result<()> {
    let handed = match (order.kind, empties_received) {
        (_, Some(n)) if !(0..=order.quantity).contains(&n) => {
            let message = format!("must be from 0 to the order's quantity ({})", order.quantity);
            return Err(Error::invalid("empties_received", message));
        }
        (OrderKind::New, Some(n)) if n > 0 => {
            return Err(Error::invalid("empties_received", "a new-cylinder sale takes no empties"));
        }
        (OrderKind::Refill, None) => order.quantity,
        (_, received) => received.unwrap_or(0),
    };
    match order.kind {
        OrderKind::Refill if handed == 0 => Ok(()),
        OrderKind::Refill => {
            let update = Sql::new("UPDATE stock_items SET empties = empties + $1, updated_at = $2 WHERE id = $3")
                .bind(handed)
                .bind(at)
                .bind(order.inventory_id);
            conn.execute(update).await?;
            let handed_over =
                Movement::of_order(order.inventory_id, 0, handed, MovementReason::Delivered, order.id, actor, at);
            movements::record(conn, handed_over).await
        }
        OrderKind::New => {
            let credit = Sql::new(
                "INSERT INTO deposit_balances (buyer_id, inventory_id, seller_id, cylinders, amount, pending, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, 0, $6) ON CONFLICT (buyer_id, inventory_id) DO UPDATE SET \
                 cylinders = deposit_balances.cylinders + excluded.cylinders, \
                 amount = deposit_balances.amount + excluded.amount, updated_at = excluded.updated_at",
            )
            .bind(order.buyer_id)
            .bind(order.inventory_id)
            .bind(order.seller_id)
            .bind(order.quantity)
            .bind(order.deposit_amount)
            .bind(at);
            conn.execute(credit).await?;
            let entry = Entry {
                order_id: Some(order.id),
                return_id: None,
                cylinders: order.quantity,
                amount: order.deposit_amount,
            };
            record_entry(conn, order.buyer_id, order.seller_id, order.inventory_id, entry, at).await
        }
    }
}

struct Entry {
    order_id: Option<i64>,
    return_id: Option<i64>,
    cylinders: i64,
    amount: i64,
}

async fn record_entry(
    conn: &mut Conn<'_>,
    buyer_id: i64,
    seller_id: i64,
    inventory_id: i64,
    entry: Entry,
    at: DateTime<Utc>,
) -> Result<()> {
    let insert = Sql::new(
        "INSERT INTO deposit_entries (buyer_id, seller_id, inventory_id, cylinders, amount, order_id, return_id, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(buyer_id)
    .bind(seller_id)
    .bind(inventory_id)
    .bind(entry.cylinders)
    .bind(entry.amount)
    .bind(entry.order_id)
    .bind(entry.return_id)
    .bind(at);
    conn.execute(insert).await?;
    Ok(())
}

/// How much of a balance (`amount` for `cylinders`) a return of `quantity` releases, and how
/// much of that is refunded when `damaged` of them forfeit their deposit. Deposits are
/// uniform per cylinder unless the seller changed the deposit between sales: then each
/// cylinder releases the average (rounded down) and the last one returned takes the rest,
/// so the balance reaches exactly 0 and never goes below it.
pub fn release(amount: i64, cylinders: i64, quantity: i64, damaged: i64) -> (i64, i64) {
    if cylinders <= 0 || quantity <= 0 {
        return (0, 0);
    }
    let unit = amount / cylinders;
    let released = if quantity >= cylinders { amount } else { unit * quantity };
    let refund = (released - unit * damaged.min(quantity)).max(0);
    (released, refund)
}

impl Store {
    /// Opens a pending return, promising `quantity` of the buyer's deposit-backed cylinders to
    /// it. `Conflict("insufficient_deposit")` when the buyer holds fewer (not yet promised).
    pub async fn create_return(&self, draft: ReturnDraft) -> Result<CylinderReturn> {
        let at = now();
        self.write(move |mut conn| {
            Box::pin(async move {
                let reserve = Sql::new(
                    "UPDATE deposit_balances SET pending = pending + $1, updated_at = $2 \
                     WHERE buyer_id = $3 AND inventory_id = $4 AND cylinders - pending >= $1 RETURNING seller_id",
                )
                .bind(draft.quantity)
                .bind(at)
                .bind(draft.buyer_id)
                .bind(draft.inventory_id);
                let Some(seller_id) = conn.fetch_optional_scalar::<i64>(reserve).await? else {
                    let exists: Option<i64> = conn
                        .fetch_optional_scalar(Sql::new("SELECT id FROM stock_items WHERE id = $1").bind(draft.inventory_id))
                        .await?;
                    if exists.is_none() {
                        return Err(Error::not_found("stock item", draft.inventory_id));
                    }
                    let held: Option<i64> = conn
                        .fetch_optional_scalar(
                            Sql::new("SELECT cylinders - pending FROM deposit_balances WHERE buyer_id = $1 AND inventory_id = $2")
                                .bind(draft.buyer_id)
                                .bind(draft.inventory_id),
                        )
                        .await?;
                    let held = held.unwrap_or(0);
                    return Err(Error::conflict_with(
                        "insufficient_deposit",
                        format!("you hold deposits for {held} cylinders of this item not already being returned, {} returned", draft.quantity),
                        serde_json::json!({ "held": held, "requested": draft.quantity }),
                    ));
                };
                let insert = Sql::new(format!(
                    "INSERT INTO cylinder_returns (buyer_id, seller_id, inventory_id, quantity, status, created_at, \
                     updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {RETURN_COLUMNS}"
                ))
                .bind(draft.buyer_id)
                .bind(seller_id)
                .bind(draft.inventory_id)
                .bind(draft.quantity)
                .bind(ReturnStatus::Pending)
                .bind(at);
                conn.fetch_one(insert).await
            })
        })
        .await
    }

    pub async fn get_return(&self, id: i64) -> Result<Option<CylinderReturn>> {
        self.read_optional(Sql::new(format!("SELECT {RETURN_COLUMNS} FROM cylinder_returns WHERE id = $1")).bind(id))
            .await
    }

    /// Settles a pending return: rejected, its cylinders are no longer promised; accepted
    /// (`settlement`), the balance goes down by what the cylinders carried, the good ones
    /// become the seller's empties (one movement) and their deposits are owed back.
    pub async fn settle_return(
        &self,
        id: i64,
        settlement: Option<ReturnSettlement>,
        actor: ActorId,
    ) -> Result<CylinderReturn> {
        let at = now();
        let to = if settlement.is_some() { ReturnStatus::Accepted } else { ReturnStatus::Rejected };
        self.write(move |mut conn| {
            Box::pin(async move {
                let decide = Sql::new(format!(
                    "UPDATE cylinder_returns SET status = $1, good = $2, damaged = $3, decided_by = $4, updated_at = $5 \
                     WHERE id = $6 AND status = $7 RETURNING {RETURN_COLUMNS}"
                ))
                .bind(to)
                .bind(settlement.map(|s| s.good))
                .bind(settlement.map(|s| s.damaged))
                .bind(actor)
                .bind(at)
                .bind(id)
                .bind(ReturnStatus::Pending);
                let Some(settled) = conn.fetch_optional::<CylinderReturn>(decide).await? else {
                    let status: Option<String> = conn
                        .fetch_optional_scalar(Sql::new("SELECT status FROM cylinder_returns WHERE id = $1").bind(id))
                        .await?;
                    return Err(match status {
                        None => Error::not_found("return", id),
                        Some(status) => Error::conflict_with(
                            "invalid_state",
                            format!("return is {status}: only a {} return can be settled", ReturnStatus::Pending),
                            serde_json::json!({ "status": status, "required": ReturnStatus::Pending.as_str() }),
                        ),
                    });
                };
                // Takes the promise back; on PostgreSQL it also locks the balance until commit,
                // so the amounts read here are the ones the next UPDATE changes.
                let unpromise = Sql::new(
                    "UPDATE deposit_balances SET pending = pending - $1, updated_at = $2 \
                     WHERE buyer_id = $3 AND inventory_id = $4 RETURNING cylinders, amount",
                )
                .bind(settled.quantity)
                .bind(at)
                .bind(settled.buyer_id)
                .bind(settled.inventory_id);
                let (cylinders, amount): (i64, i64) = conn.fetch_one(unpromise).await?;
                let Some(split) = settlement else {
                    return Ok(settled);
                };
                let (released, refund) = release(amount, cylinders, settled.quantity, split.damaged);
                let debit = Sql::new(
                    "UPDATE deposit_balances SET cylinders = cylinders - $1, amount = amount - $2 \
                     WHERE buyer_id = $3 AND inventory_id = $4",
                )
                .bind(settled.quantity)
                .bind(released)
                .bind(settled.buyer_id)
                .bind(settled.inventory_id);
                conn.execute(debit).await?;
                let entry =
                    Entry { order_id: None, return_id: Some(id), cylinders: -settled.quantity, amount: -released };
                record_entry(&mut conn, settled.buyer_id, settled.seller_id, settled.inventory_id, entry, at).await?;
                if split.good > 0 {
                    let empties = Sql::new("UPDATE stock_items SET empties = empties + $1, updated_at = $2 WHERE id = $3")
                        .bind(split.good)
                        .bind(at)
                        .bind(settled.inventory_id);
                    conn.execute(empties).await?;
                    let movement = Movement {
                        inventory_id: settled.inventory_id,
                        full_delta: 0,
                        empty_delta: split.good,
                        reason: MovementReason::Returned,
                        order_id: None,
                        return_id: Some(id),
                        actor: Some(actor),
                        note: None,
                        at,
                    };
                    movements::record(&mut conn, movement).await?;
                }
                let amounts = Sql::new(format!(
                    "UPDATE cylinder_returns SET deposit_released = $1, refund_amount = $2 WHERE id = $3 \
                     RETURNING {RETURN_COLUMNS}"
                ))
                .bind(released)
                .bind(refund)
                .bind(id);
                conn.fetch_one(amounts).await
            })
        })
        .await
    }

    /// Returns, newest first: a buyer's, a seller's or all.
    pub async fn list_returns(&self, scope: DepositScope, page: PageRequest) -> Result<Paged<CylinderReturn>> {
        self.fetch_page(page, |sql, count_only| {
            select_counted(sql, count_only, RETURN_COLUMNS, "cylinder_returns WHERE 1 = 1");
            push_scope(sql, scope);
            if !count_only {
                sql.push(" ORDER BY id DESC");
            }
        })
        .await
    }

    /// Deposit balances (buyer, stock item) in `scope`, and one page of their entries, newest
    /// first, with the entries' total: one read job.
    pub async fn deposit_balances(
        &self,
        scope: DepositScope,
        page: PageRequest,
    ) -> Result<(Vec<DepositBalance>, Paged<DepositEntry>)> {
        self.read(move |mut conn| {
            Box::pin(async move {
                let mut balances = Sql::new(format!("SELECT {BALANCE_COLUMNS} FROM deposit_balances WHERE 1 = 1"));
                push_scope(&mut balances, scope);
                balances.push(" ORDER BY seller_id, buyer_id, inventory_id");
                let mut entries = Sql::new(format!("SELECT {ENTRY_COLUMNS} FROM deposit_entries WHERE 1 = 1"));
                push_scope(&mut entries, scope);
                entries
                    .push(" ORDER BY id DESC LIMIT ")
                    .push_bind(page.limit())
                    .push(" OFFSET ")
                    .push_bind(page.offset());
                let mut count = Sql::new("SELECT COUNT(*) FROM deposit_entries WHERE 1 = 1");
                push_scope(&mut count, scope);
                let balances = conn.fetch_all(balances).await?;
                let items = conn.fetch_all(entries).await?;
                let total: i64 = conn.fetch_scalar(count).await?;
                Ok((balances, Paged { items, page: page.page, per_page: page.per_page, total }))
            })
        })
        .await
    }
}

fn push_scope(sql: &mut Sql, scope: DepositScope) {
    match scope {
        DepositScope::Buyer(id) => sql.push(" AND buyer_id = ").push_bind(id),
        DepositScope::Seller(id) => sql.push(" AND seller_id = ").push_bind(id),
        DepositScope::All => sql,
    };
}
