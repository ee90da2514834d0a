//! Mobile-money collections: the request-to-pay rows the collector sends and settles, the
//! delivery gate, and the buyer's retry. Each settlement is a conditional UPDATE on
//! `status = 'requested'`, so any number of callbacks and polls settle a request once.

use chrono::{DateTime, Utc};

use super::db::{now, on_unique, Conn, Sql};
use super::events::{self, Event};
use super::orders::order_status;
use super::{ActorId, Store};
use crate::domain::{CollectionStatus, InvoiceStatus, OrderStatus, PaymentMethod, StatusChange};
use crate::error::{Error, Result};
use crate::models::{Collection, Payment};

const COLLECTION_COLUMNS: &str = "id, order_id, reference, amount, currency, payer_phone, status, reason, \
    provider_transaction_id, requested_at, sent_at, decided_at";

/// What the provider said about a request, once final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CollectionOutcome {
    Collected { transaction_id: Option<String> },
    Failed { reason: String },
}

/// The order's payment method and payer, or `None` when there is no such order.
async fn method_of(conn: &mut Conn<'_>, order_id: i64) -> Result<Option<(PaymentMethod, Option<String>)>> {
    let row: Option<(String, Option<String>)> = conn
        .fetch_optional(Sql::new("SELECT payment_method, payer_phone FROM orders WHERE id = $1").bind(order_id))
        .await?;
    row.map(|(method, phone)| Ok((method.parse()?, phone))).transpose()
}

/// Inserts a new request-to-pay (a fresh reference) and its `payment.requested` event.
async fn insert_request(
    conn: &mut Conn<'_>,
    order_id: i64,
    amount: i64,
    currency: &str,
    phone: &str,
    actor: Option<ActorId>,
    at: DateTime<Utc>,
) -> Result<Collection> {
    let insert = Sql::new(format!(
        "INSERT INTO collections (order_id, reference, amount, currency, payer_phone, status, requested_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLLECTION_COLUMNS}"
    ))
    .bind(order_id)
    .bind(uuid::Uuid::new_v4().hyphenated().to_string())
    .bind(amount)
    .bind(currency)
    .bind(phone)
    .bind(CollectionStatus::Requested)
    .bind(at);
    let collection: Collection = on_unique(
        conn.fetch_one(insert).await,
        "payment_in_progress",
        "this order's payment is already requested or collected",
    )?;
    let change = StatusChange::Collection { from: None, to: CollectionStatus::Requested };
    events::record(conn, Event { change, entity_id: collection.id, order_id: Some(order_id), actor, reason: None, at })
        .await?;
    Ok(collection)
}

/// The approval hook (in the invoice decision's transaction): a mobile-money order's amount
/// is final now, so its request-to-pay is recorded; the collector sends it after the commit.
pub(super) async fn on_invoice_approved(
    conn: &mut Conn<'_>,
    order_id: i64,
    amount: i64,
    currency: &str,
    actor: ActorId,
    at: DateTime<Utc>,
) -> Result<()> {
    if let Some((PaymentMethod::MobileMoney, Some(phone))) = method_of(conn, order_id).await? {
        insert_request(conn, order_id, amount, currency, &phone, Some(actor), at).await?;
    }
    Ok(())
}

/// The delivery hook: a mobile-money order is delivered only once its payment is collected
/// (`409 payment_not_collected`); the caller's transaction rolls back otherwise.
pub(super) async fn check_collected(conn: &mut Conn<'_>, order_id: i64) -> Result<()> {
    if !matches!(method_of(conn, order_id).await?, Some((PaymentMethod::MobileMoney, _))) {
        return Ok(());
    }
    let collected: Option<i64> = conn
        .fetch_optional_scalar(
            Sql::new("SELECT id FROM collections WHERE order_id = $1 AND status = $2")
                .bind(order_id)
                .bind(CollectionStatus::Collected),
        )
        .await?;
    match collected {
        Some(_) => Ok(()),
        None => Err(Error::conflict(
            "payment_not_collected",
            "this order is paid by mobile money and its payment is not collected yet",
        )),
    }
}

impl Store {
    /// Requests recorded but not yet accepted by the provider, oldest first.
    pub async fn collections_to_send(&self, limit: i64) -> Result<Vec<Collection>> {
        let sql = Sql::new(format!(
            "SELECT {COLLECTION_COLUMNS} FROM collections WHERE status = $1 AND sent_at IS NULL ORDER BY id LIMIT $2"
        ));
        self.read_all(sql.bind(CollectionStatus::Requested).bind(limit)).await
    }

    /// Sent requests still open whose status was last read before `before` (or never).
    pub async fn collections_to_check(&self, before: DateTime<Utc>, limit: i64) -> Result<Vec<Collection>> {
        let sql = Sql::new(format!(
            "SELECT {COLLECTION_COLUMNS} FROM collections WHERE status = $1 AND sent_at IS NOT NULL \
             AND (checked_at IS NULL OR checked_at < $2) ORDER BY id LIMIT $3"
        ));
        self.read_all(sql.bind(CollectionStatus::Requested).bind(before).bind(limit)).await
    }

    pub async fn collection_by_reference(&self, reference: &str) -> Result<Option<Collection>> {
        let sql = Sql::new(format!("SELECT {COLLECTION_COLUMNS} FROM collections WHERE reference = $1"));
        self.read_optional(sql.bind(reference)).await
    }

    /// The provider accepted the request (first time only), or its status was read.
    pub async fn mark_collection(&self, id: i64, sent: bool) -> Result<()> {
        let at = now();
        let sql = if sent {
            Sql::new("UPDATE collections SET sent_at = COALESCE(sent_at, $1), checked_at = $1 WHERE id = $2")
        } else {
            Sql::new("UPDATE collections SET checked_at = $1 WHERE id = $2")
        };
        self.write_execute(sql.bind(at).bind(id)).await.map(drop)
    }

    /// Settles an open request once: `None` when it was already settled (a duplicate
    /// callback, a poll that lost the race) or is unknown.
    pub async fn settle_collection(&self, reference: &str, outcome: CollectionOutcome) -> Result<Option<Collection>> {
        let at = now();
        let reference = reference.to_owned();
        self.write(move |mut conn| {
            Box::pin(async move {
                let (to, reason, transaction_id) = match &outcome {
                    CollectionOutcome::Collected { transaction_id } => {
                        (CollectionStatus::Collected, None, transaction_id.clone())
                    }
                    CollectionOutcome::Failed { reason } => (CollectionStatus::Failed, Some(reason.clone()), None),
                };
                let settle = Sql::new(format!(
                    "UPDATE collections SET status = $1, reason = $2, provider_transaction_id = $3, decided_at = $4, \
                     sent_at = COALESCE(sent_at, $4), checked_at = $4 WHERE reference = $5 AND status = $6 \
                     RETURNING {COLLECTION_COLUMNS}"
                ))
                .bind(to)
                .bind(reason.clone())
                .bind(transaction_id)
                .bind(at)
                .bind(reference)
                .bind(CollectionStatus::Requested);
                let Some(collection) = conn.fetch_optional::<Collection>(settle).await? else {
                    return Ok(None);
                };
                let change = StatusChange::Collection { from: Some(CollectionStatus::Requested), to };
                let (entity_id, order_id) = (collection.id, collection.order_id);
                let reason = reason.as_deref();
                events::record(
                    &mut conn,
                    Event { change, entity_id, order_id: Some(order_id), actor: None, reason, at },
                )
                .await?;
                Ok(Some(collection))
            })
        })
        .await
    }

    /// The buyer asks again after a failed request: a new request under a new reference, for
    /// the approved invoice's amount. Refused while one is open or once collected.
    pub async fn retry_collection(&self, order_id: i64, actor: ActorId) -> Result<Collection> {
        let at = now();
        self.write(move |mut conn| {
            Box::pin(async move {
                let Some((method, phone)) = method_of(&mut conn, order_id).await? else {
                    return Err(Error::not_found("order", order_id));
                };
                let (PaymentMethod::MobileMoney, Some(phone)) = (method, phone) else {
                    return Err(Error::conflict("not_mobile_money", "this order is paid cash on delivery"));
                };
                let status = order_status(&mut conn, order_id).await?;
                let invoice: Option<(i64, String)> = conn
                    .fetch_optional(
                        Sql::new("SELECT amount, currency FROM invoices WHERE order_id = $1 AND status = $2")
                            .bind(order_id)
                            .bind(InvoiceStatus::Approved),
                    )
                    .await?;
                let (Some(OrderStatus::Invoiced), Some((amount, currency))) = (status, invoice) else {
                    return Err(Error::conflict(
                        "payment_not_requested",
                        "payment is asked for once the order's invoice is approved",
                    ));
                };
                insert_request(&mut conn, order_id, amount, &currency, &phone, Some(actor), at).await
            })
        })
        .await
    }

    /// Every request-to-pay of an order, oldest first.
    pub async fn order_collections(&self, order_id: i64) -> Result<Vec<Collection>> {
        let sql = Sql::new(format!("SELECT {COLLECTION_COLUMNS} FROM collections WHERE order_id = $1 ORDER BY id"));
        self.read_all(sql.bind(order_id)).await
    }

    /// The payment released on delivery, if any.
    pub async fn order_released_payment(&self, order_id: i64) -> Result<Option<Payment>> {
        let sql = Sql::new(
            "SELECT id, order_id, invoice_id, seller_id, amount, currency, status, released_at FROM payments \
             WHERE order_id = $1",
        );
        self.read_optional(sql.bind(order_id)).await
    }
}
