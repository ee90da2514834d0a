//! Orders: placing one (reserving its stock), reading and listing them, and moving them
//! along the state machine of `domain::status`; then the buyer's feedback.

use chrono::{DateTime, Utc};

use super::db::{now, on_unique, Conn, Sql};
use super::events::{self, Event};
use super::low_stock;
use super::movements::{self, Movement};
use super::page::select_counted;
use super::row::record;
use super::{ActorId, Store};
use crate::commands::{FeedbackDraft, OrderDraft, OrderFilter, PageRequest};
use crate::domain::{MovementReason, OrderKind, OrderStatus, OrderTransition, StatusChange};
use crate::error::{Error, Result};
use crate::models::{Feedback, Order, Paged, RatingSummary};

pub(super) const ORDER_COLUMNS: &str = "id, buyer_id, seller_id, inventory_id, brand, weight_g, location, quantity, \
    kind, unit_price, total_amount, deposit_amount, currency, status, delivery_address, note, delivery_district, \
    created_at, updated_at, payment_method, payer_phone";

/// Internal code: an idempotent retry lost the race to insert its order.
const IDEMPOTENCY_RACE: &str = "idempotency_race";

impl Store {
    /// Reserves the stock and creates the order; `false` when an idempotent retry returned
    /// the first order. `Conflict("insufficient_stock")` when not enough is available.
    pub async fn place_order(&self, draft: OrderDraft) -> Result<(Order, bool)> {
        let at = now();
        let job_draft = draft.clone();
        let placed = self
            .write(move |mut conn| {
                Box::pin(async move {
                    let draft = job_draft;
                    if let Some(key) = &draft.idempotency_key {
                        if let Some(existing) = find_idempotent_order(&mut conn, draft.buyer_id, key).await? {
                            return check_same_request(existing, &draft);
                        }
                    }
                    Ok((insert_order(&mut conn, &draft, at).await?, true))
                })
            })
            .await;
        match placed {
            // Two retries raced past the lookup (PostgreSQL; SQLite's one writer serializes
            // them): the loser's reservation rolled back with its unit of work, and it
            // answers with the winner's order.
            Err(Error::Conflict { code: IDEMPOTENCY_RACE, .. }) => {
                let key = draft.idempotency_key.clone().unwrap_or_default();
                let buyer_id = draft.buyer_id;
                let existing = self
                    .read(move |mut conn| {
                        Box::pin(async move { find_idempotent_order(&mut conn, buyer_id, &key).await })
                    })
                    .await?;
                match existing {
                    Some(existing) => check_same_request(existing, &draft),
                    None => Err(Error::internal("order insert failed")),
                }
            }
            other => other,
        }
    }

    pub async fn get_order(&self, id: i64) -> Result<Option<Order>> {
        self.read_optional(Sql::new(format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1")).bind(id)).await
    }

    pub async fn list_orders(&self, filter: OrderFilter, page: PageRequest) -> Result<Paged<Order>> {
        self.fetch_page(page, |sql, count_only| {
            select_counted(sql, count_only, ORDER_COLUMNS, "orders WHERE 1 = 1");
            if let Some(buyer_id) = filter.buyer_id {
                sql.push(" AND buyer_id = ").push_bind(buyer_id);
            }
            if let Some(seller_id) = filter.seller_id {
                sql.push(" AND seller_id = ").push_bind(seller_id);
            }
            if let Some(status) = filter.status {
                sql.push(" AND status = ").push_bind(status);
            }
            if !count_only {
                sql.push(if filter.oldest_first { " ORDER BY id" } else { " ORDER BY id DESC" });
            }
        })
        .await
    }

    /// Approve, reject or cancel: moves the order if it is still in `transition.from()`,
    /// giving the stock back when the move says so.
    pub async fn transition_order(
        &self,
        order_id: i64,
        transition: OrderTransition,
        actor: ActorId,
        reason: Option<String>,
    ) -> Result<Order> {
        self.write(move |mut conn| {
            Box::pin(async move { move_order(&mut conn, order_id, transition, actor, reason.as_deref(), now()).await })
        })
        .await
    }

    /// `Conflict("duplicate_feedback")` on a second feedback for the order.
    pub async fn insert_feedback(&self, draft: FeedbackDraft) -> Result<Feedback> {
        let insert = Sql::new(
            "INSERT INTO feedback (order_id, buyer_id, seller_id, rating, comment, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, order_id, buyer_id, seller_id, rating, comment, created_at",
        )
        .bind(draft.order_id)
        .bind(draft.buyer_id)
        .bind(draft.seller_id)
        .bind(i64::from(draft.rating.get()))
        .bind(draft.comment)
        .bind(now());
        self.write(move |mut conn| {
            Box::pin(async move {
                let feedback: Feedback =
                    on_unique(conn.fetch_one(insert).await, "duplicate_feedback", "this order already has feedback")?;
                // The seller's exact rating totals, in the same unit (issue 13, store/sellers.rs).
                super::sellers::count_rating(&mut conn, &feedback).await?;
                Ok(feedback)
            })
        })
        .await
    }

    pub async fn seller_rating(&self, seller_id: i64) -> Result<RatingSummary> {
        let (count, average): (i64, Option<f64>) = self
            .read_one(
                Sql::new("SELECT COUNT(*), CAST(AVG(rating) AS DOUBLE PRECISION) FROM feedback WHERE seller_id = $1")
                    .bind(seller_id),
            )
            .await?;
        Ok(RatingSummary { seller_id, count, average })
    }
}

/// Moves an order along one edge of the state machine if it is still where the edge starts,
/// records the event and gives back stock when the edge says so.
pub(super) async fn move_order(
    conn: &mut Conn<'_>,
    order_id: i64,
    transition: OrderTransition,
    actor: ActorId,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Order> {
    let moved: Option<Order> = conn
        .fetch_optional(
            Sql::new(format!(
                "UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4 RETURNING {ORDER_COLUMNS}"
            ))
            .bind(transition.to())
            .bind(at)
            .bind(order_id)
            .bind(transition.from()),
        )
        .await?;
    let Some(order) = moved else {
        return Err(match order_status(conn, order_id).await? {
            None => Error::not_found("order", order_id),
            Some(status) => transition.conflict(status),
        });
    };
    if transition.returns_stock() {
        let give_back = Sql::new("UPDATE stock_items SET quantity = quantity + $1, updated_at = $2 WHERE id = $3")
            .bind(order.quantity)
            .bind(at)
            .bind(order.inventory_id);
        conn.execute(give_back).await?;
        let reason = MovementReason::stock_returned_by(transition.to())
            .ok_or_else(|| Error::internal(format!("no ledger reason for an order {}", transition.to())))?;
        let back = Movement::of_order(order.inventory_id, order.quantity, 0, reason, order.id, actor, at);
        movements::record(conn, back).await?;
    }
    let change = StatusChange::order(transition);
    events::record(
        conn,
        Event { change, entity_id: order.id, order_id: Some(order.id), actor: Some(actor), reason, at },
    )
    .await?;
    Ok(order)
}

/// The current status of an order, to explain why a conditional update matched nothing.
pub(super) async fn order_status(conn: &mut Conn<'_>, id: i64) -> Result<Option<OrderStatus>> {
    let status: Option<String> =
        conn.fetch_optional_scalar(Sql::new("SELECT status FROM orders WHERE id = $1").bind(id)).await?;
    status.map(|s| s.parse()).transpose()
}

async fn find_idempotent_order(conn: &mut Conn<'_>, buyer_id: i64, key: &str) -> Result<Option<Order>> {
    let sql = Sql::new(format!("SELECT {ORDER_COLUMNS} FROM orders WHERE buyer_id = $1 AND idempotency_key = $2"));
    conn.fetch_optional(sql.bind(buyer_id).bind(key)).await
}

/// A retry must repeat the first request; another body under the same key is a client bug
/// worth a clear error rather than a silent wrong answer.
fn check_same_request(existing: Order, draft: &OrderDraft) -> Result<(Order, bool)> {
    if existing.inventory_id != draft.inventory_id
        || existing.quantity != draft.quantity.get()
        || existing.kind != draft.kind
    {
        return Err(Error::conflict(
            "idempotency_key_reused",
            "this Idempotency-Key was already used for a different order",
        ));
    }
    Ok((existing, false))
}

async fn insert_order(conn: &mut Conn<'_>, draft: &OrderDraft, at: DateTime<Utc>) -> Result<Order> {
    struct Reserved {
        seller_id: i64,
        brand: String,
        weight_g: i64,
        location: String,
        unit_price: i64,
        deposit: i64,
        currency: String,
        quantity: i64,
        low_stock_threshold: Option<i64>,
    }
    record!(Reserved {
        seller_id,
        brand,
        weight_g,
        location,
        unit_price,
        deposit,
        currency,
        quantity,
        low_stock_threshold
    });
    let quantity = draft.quantity.get();
    let reserve = Sql::new(
        "UPDATE stock_items SET quantity = quantity - $1, updated_at = $2 WHERE id = $3 AND quantity >= $1 \
         RETURNING seller_id, brand, weight_g, location, unit_price, deposit, currency, quantity, low_stock_threshold",
    )
    .bind(quantity)
    .bind(at)
    .bind(draft.inventory_id);
    let Some(item) = conn.fetch_optional::<Reserved>(reserve).await? else {
        let available: Option<i64> = conn
            .fetch_optional_scalar(Sql::new("SELECT quantity FROM stock_items WHERE id = $1").bind(draft.inventory_id))
            .await?;
        return Err(match available {
            None => Error::not_found("stock item", draft.inventory_id),
            Some(available) => Error::conflict_with(
                "insufficient_stock",
                format!("only {available} available, {quantity} requested"),
                serde_json::json!({ "available": available, "requested": quantity }),
            ),
        });
    };
    if let Some(district) = &draft.delivery_district {
        super::zones::check_served(conn, item.seller_id, district).await?;
    }
    let (item_left, threshold) = (item.quantity, item.low_stock_threshold);
    // A new cylinder's deposit is frozen with the price; a refill carries none.
    let too_large = || Error::invalid("quantity", "order total is too large");
    let deposit_amount = match draft.kind {
        OrderKind::Refill => 0,
        OrderKind::New => item.deposit.checked_mul(quantity).ok_or_else(too_large)?,
    };
    let total =
        item.unit_price.checked_mul(quantity).and_then(|gas| gas.checked_add(deposit_amount)).ok_or_else(too_large)?;
    let insert = Sql::new(format!(
        "INSERT INTO orders (buyer_id, seller_id, inventory_id, brand, weight_g, location, quantity, unit_price, \
         total_amount, currency, status, delivery_address, note, idempotency_key, created_at, updated_at, kind, \
         deposit_amount, payment_method, payer_phone, delivery_district) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16, $17, $18, $19, $20) \
         RETURNING {ORDER_COLUMNS}"
    ))
    .bind(draft.buyer_id)
    .bind(item.seller_id)
    .bind(draft.inventory_id)
    .bind(item.brand)
    .bind(item.weight_g)
    .bind(item.location)
    .bind(quantity)
    .bind(item.unit_price)
    .bind(total)
    .bind(item.currency)
    .bind(OrderStatus::Pending)
    .bind(draft.delivery_address.as_deref())
    .bind(draft.note.as_deref())
    .bind(draft.idempotency_key.as_deref())
    .bind(at)
    .bind(draft.kind)
    .bind(deposit_amount)
    .bind(draft.payment_method.as_str())
    .bind(draft.payer_phone.as_ref().map(|phone| phone.as_str()))
    .bind(draft.delivery_district.as_deref());
    let order: Order = on_unique(conn.fetch_one(insert).await, IDEMPOTENCY_RACE, "retry raced its first attempt")?;
    let reserved =
        Movement::of_order(order.inventory_id, -quantity, 0, MovementReason::Placed, order.id, draft.buyer_id, at);
    movements::record(conn, reserved).await?;
    let change = StatusChange::Order { from: None, to: OrderStatus::Pending };
    let placed =
        Event { change, entity_id: order.id, order_id: Some(order.id), actor: Some(draft.buyer_id), reason: None, at };
    events::record(conn, placed).await?;
    let take = low_stock::Take {
        inventory_id: order.inventory_id,
        quantity: item_left,
        taken: quantity,
        threshold,
        order_id: Some(order.id),
        actor: Some(draft.buyer_id),
        at,
    };
    low_stock::record_if_crossed(conn, take).await?;
    Ok(order)
}
