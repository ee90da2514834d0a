//! Dispatch (issue 13): a seller hands an invoiced order to one of its drivers, who completes
//! it with the buyer's handover code or reports it failed. Completion itself is the store's
//! one delivery operation, `confirm_delivery`, from `out_for_delivery`.

use chrono::{DateTime, Utc};

use super::db::{now, Conn, Sql};
use super::events::last_event_id;
use super::orders::{move_order, order_status};
use super::row::record;
use super::{ActorId, Store};
use crate::commands::PageRequest;
use crate::domain::{
    buyer_message, code_in_message, code_matches, HandoverCode, InvoiceStatus, OrderStatus, OrderTransition,
    StatusChange, MAX_WRONG_CODES,
};
use crate::error::{Error, Result};
use crate::events::notice;
use crate::models::{Dispatch, Paged};

/// What a handover code attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandoverCheck {
    /// The code is right: the delivery may be completed.
    Right,
    /// Wrong; this many attempts are left before the delivery locks.
    Wrong { remaining: i64 },
    /// Too many wrong codes: locked until the seller re-dispatches.
    Locked,
}

/// Who a list of dispatches is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DispatchScope {
    Driver(i64),
    Seller(i64),
}

/// A dispatch's columns. Its status is the order's while it is the order's latest dispatch;
/// an earlier one ended failed (a re-dispatch follows only a failure).
fn dispatch_select(sql: &mut Sql) {
    dispatch_columns(sql);
    sql.push(DISPATCH_FROM);
}

const DISPATCH_FROM: &str = " FROM dispatches ds JOIN orders o ON o.id = ds.order_id";

fn dispatch_columns(sql: &mut Sql) {
    sql.push("SELECT ds.id, ds.order_id, ds.seller_id, ds.driver_id, CASE WHEN ds.id = (SELECT MAX(x.id) FROM dispatches x WHERE x.order_id = ds.order_id) THEN o.status ELSE ")
        .push_bind(OrderStatus::Failed)
        .push(" END AS status, o.brand, o.weight_g, o.quantity, o.delivery_address, ds.dispatched_at, ds.wrong_codes, (ds.wrong_codes >= ")
        .push_bind(MAX_WRONG_CODES)
        .push(") AS locked, ds.failed_at, ds.fail_reason");
}

impl Store {
    /// Sends the order out with `driver_id` and a fresh handover code: an invoiced order
    /// whose invoice is approved, a failed one (re-dispatch), or one locked by wrong codes
    /// (recorded as failed, then re-dispatched). The buyer is told the code and the driver
    /// the address, in the same unit.
    pub async fn dispatch_order(
        &self,
        order_id: i64,
        driver_id: i64,
        code: HandoverCode,
        actor: ActorId,
    ) -> Result<Dispatch> {
        let at = now();
        self.write(move |mut conn| {
            Box::pin(async move {
                let driver_ok = Sql::new(
                    "SELECT COUNT(*) FROM drivers d JOIN orders o ON o.seller_id = d.seller_id \
                     WHERE d.user_id = $1 AND o.id = $2 AND d.disabled = $3",
                )
                .bind(driver_id)
                .bind(order_id)
                .bind(false);
                if conn.fetch_scalar::<i64>(driver_ok).await? == 0 {
                    return Err(Error::conflict("driver_unavailable", "the driver is disabled or not the seller's"));
                }
                let transition = match order_status(&mut conn, order_id).await? {
                    None => return Err(Error::not_found("order", order_id)),
                    Some(OrderStatus::Invoiced) => {
                        let approved = Sql::new("SELECT COUNT(*) FROM invoices WHERE order_id = $1 AND status = $2")
                            .bind(order_id)
                            .bind(InvoiceStatus::Approved);
                        if conn.fetch_scalar::<i64>(approved).await? == 0 {
                            return Err(Error::conflict(
                                "invoice_not_approved",
                                "the order's invoice is not approved yet",
                            ));
                        }
                        OrderTransition::Dispatch
                    }
                    Some(OrderStatus::Failed) => OrderTransition::Redispatch,
                    Some(OrderStatus::OutForDelivery) => {
                        let live = latest(&mut conn, order_id).await?;
                        if !live.is_some_and(|d| d.locked) {
                            return Err(Error::conflict(
                                "already_dispatched",
                                "the order is out for delivery; it can be re-dispatched once failed or locked",
                            ));
                        }
                        let reason = "locked after too many wrong handover codes";
                        move_order(&mut conn, order_id, OrderTransition::FailDelivery, actor, Some(reason), at).await?;
                        mark_failed(&mut conn, order_id, reason, at).await?;
                        OrderTransition::Redispatch
                    }
                    Some(status) => return Err(OrderTransition::Dispatch.conflict(status)),
                };
                let order = move_order(&mut conn, order_id, transition, actor, None, at).await?;
                let insert = Sql::new(
                    "INSERT INTO dispatches (order_id, seller_id, driver_id, code_salt, code_hash, wrong_codes, \
                     dispatched_at) VALUES ($1, $2, $3, $4, $5, 0, $6)",
                )
                .bind(order_id)
                .bind(order.seller_id)
                .bind(driver_id)
                .bind(code.salt)
                .bind(code.hash)
                .bind(at);
                conn.execute(insert).await?;
                let event_id = last_event_id(&mut conn, order_id).await?;
                let event = notice(StatusChange::order(transition), order_id, Some(order_id), None)
                    .map(|n| n.event)
                    .ok_or_else(|| Error::internal("dispatch has no notice"))?;
                let address = order.delivery_address.as_deref().unwrap_or("the buyer's address");
                let notices = [
                    (order.buyer_id, format!("Order #{order_id} is on its way"), buyer_message(order_id, &code.code)),
                    (
                        driver_id,
                        format!("Deliver order #{order_id}"),
                        format!("Deliver order #{order_id} ({} x {}) to {address}.", order.quantity, order.brand),
                    ),
                ];
                for (user_id, title, message) in notices {
                    let notify = Sql::new(
                        "INSERT INTO notifications (user_id, event_id, event, order_id, title, message, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(user_id)
                    .bind(event_id)
                    .bind(event)
                    .bind(order_id)
                    .bind(title)
                    .bind(message)
                    .bind(at);
                    conn.execute(notify).await?;
                }
                latest(&mut conn, order_id).await?.ok_or_else(|| Error::internal("dispatch vanished"))
            })
        })
        .await
    }

    /// The order's latest dispatch.
    pub async fn current_dispatch(&self, order_id: i64) -> Result<Option<Dispatch>> {
        self.read(move |mut conn| Box::pin(async move { latest(&mut conn, order_id).await })).await
    }

    /// Checks a handover code against dispatch `dispatch_id`, which must still be the order's
    /// live one. A wrong code is counted in this unit, which commits even though the
    /// request then fails: guessing costs attempts.
    pub async fn check_handover(&self, order_id: i64, dispatch_id: i64, code: String) -> Result<HandoverCheck> {
        self.write(move |mut conn| {
            Box::pin(async move {
                struct Live {
                    id: i64,
                    code_salt: String,
                    code_hash: String,
                    wrong_codes: i64,
                }
                record!(Live { id, code_salt, code_hash, wrong_codes });
                let live: Option<Live> = conn
                    .fetch_optional(
                        Sql::new(
                            "SELECT id, code_salt, code_hash, wrong_codes FROM dispatches WHERE order_id = $1 \
                             ORDER BY id DESC LIMIT 1",
                        )
                        .bind(order_id),
                    )
                    .await?;
                let Some(live) = live.filter(|live| live.id == dispatch_id) else {
                    return Err(Error::conflict("redispatched", "the order was dispatched again since"));
                };
                match order_status(&mut conn, order_id).await? {
                    Some(OrderStatus::OutForDelivery) => {}
                    Some(status) => return Err(OrderTransition::DeliverDispatched.conflict(status)),
                    None => return Err(Error::not_found("order", order_id)),
                }
                if live.wrong_codes >= MAX_WRONG_CODES {
                    return Ok(HandoverCheck::Locked);
                }
                if code_matches(&code, &live.code_salt, &live.code_hash) {
                    return Ok(HandoverCheck::Right);
                }
                let count = Sql::new(
                    "UPDATE dispatches SET wrong_codes = wrong_codes + 1 WHERE id = $1 AND wrong_codes < $2 \
                     RETURNING wrong_codes",
                )
                .bind(live.id)
                .bind(MAX_WRONG_CODES);
                Ok(match conn.fetch_optional_scalar::<i64>(count).await? {
                    Some(wrong) => HandoverCheck::Wrong { remaining: MAX_WRONG_CODES - wrong },
                    None => HandoverCheck::Locked,
                })
            })
        })
        .await
    }

    /// The driver could not hand the order over: `out_for_delivery` -> `failed`, with why.
    pub async fn fail_dispatch(
        &self,
        order_id: i64,
        dispatch_id: i64,
        reason: String,
        actor: ActorId,
    ) -> Result<Dispatch> {
        let at = now();
        self.write(move |mut conn| {
            Box::pin(async move {
                if latest(&mut conn, order_id).await?.map(|d| d.id) != Some(dispatch_id) {
                    return Err(Error::conflict("redispatched", "the order was dispatched again since"));
                }
                move_order(&mut conn, order_id, OrderTransition::FailDelivery, actor, Some(&reason), at).await?;
                mark_failed(&mut conn, order_id, &reason, at).await?;
                latest(&mut conn, order_id).await?.ok_or_else(|| Error::internal("dispatch vanished"))
            })
        })
        .await
    }

    /// A driver's or a seller's dispatches, newest first.
    pub async fn list_dispatches(&self, scope: DispatchScope, page: PageRequest) -> Result<Paged<Dispatch>> {
        self.fetch_page(page, |sql, count_only| {
            if count_only {
                sql.push("SELECT COUNT(*) FROM dispatches ds");
            } else {
                dispatch_columns(sql);
                sql.push(", COUNT(*) OVER () AS total").push(DISPATCH_FROM);
            }
            sql.push(" WHERE ");
            push_scope(sql, scope, "ds");
            if !count_only {
                sql.push(" ORDER BY ds.id DESC");
            }
        })
        .await
    }

    /// The live handover code for the order's buyer: read back from the buyer's own
    /// notification of the latest dispatch (the only place it is kept in clear), while the
    /// order is out for delivery.
    pub async fn buyer_handover_code(&self, order_id: i64, buyer_id: i64) -> Result<Option<String>> {
        let event = notice(StatusChange::order(OrderTransition::Dispatch), order_id, Some(order_id), None)
            .map(|n| n.event)
            .ok_or_else(|| Error::internal("dispatch has no notice"))?;
        let message: Option<String> = self
            .read(move |mut conn| {
                Box::pin(async move {
                    conn.fetch_optional_scalar(
                        Sql::new(
                            "SELECT n.message FROM notifications n JOIN orders o ON o.id = n.order_id \
                             WHERE n.order_id = $1 AND n.user_id = $2 AND o.buyer_id = $2 AND n.event = $3 \
                             AND o.status = $4 ORDER BY n.id DESC LIMIT 1",
                        )
                        .bind(order_id)
                        .bind(buyer_id)
                        .bind(event)
                        .bind(OrderStatus::OutForDelivery),
                    )
                    .await
                })
            })
            .await?;
        Ok(message.as_deref().and_then(code_in_message))
    }
}

fn push_scope(sql: &mut Sql, scope: DispatchScope, alias: &str) {
    match scope {
        DispatchScope::Driver(id) => sql.push(&format!("{alias}.driver_id = ")).push_bind(id),
        DispatchScope::Seller(id) => sql.push(&format!("{alias}.seller_id = ")).push_bind(id),
    };
}

async fn latest(conn: &mut Conn<'_>, order_id: i64) -> Result<Option<Dispatch>> {
    let mut sql = Sql::default();
    dispatch_select(&mut sql);
    sql.push(" WHERE ds.order_id = ").push_bind(order_id).push(" ORDER BY ds.id DESC LIMIT 1");
    conn.fetch_optional(sql).await
}

async fn mark_failed(conn: &mut Conn<'_>, order_id: i64, reason: &str, at: DateTime<Utc>) -> Result<()> {
    let mark = Sql::new(
        "UPDATE dispatches SET failed_at = $1, fail_reason = $2 WHERE id = (SELECT MAX(id) FROM dispatches WHERE order_id = $3)",
    )
    .bind(at)
    .bind(reason)
    .bind(order_id);
    conn.execute(mark).await?;
    Ok(())
}
