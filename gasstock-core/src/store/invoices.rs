//! Invoices, their approval, and delivery confirmation with the payment it releases.

use super::db::{now, on_unique, Sql};
use super::deposits;
use super::events::{self, Event};
use super::orders::{move_order, order_status, ORDER_COLUMNS};
use super::page::select_counted;
use super::payments;
use super::{ActorId, Store};
use crate::commands::{InvoiceDraft, PageRequest};
use crate::domain::{InvoiceStatus, OrderStatus, OrderTransition, PaymentStatus, StatusChange};
use crate::error::{Error, Result};
use crate::models::{Delivery, Invoice, Order, Paged, Payment};

const INVOICE_COLUMNS: &str =
    "id, order_id, seller_id, amount, delivery_fee, deposit_amount, currency, status, notes, created_at, updated_at";

const PAYMENT_COLUMNS: &str = "id, order_id, invoice_id, seller_id, amount, currency, status, released_at";

impl Store {
    /// Moves the approved order to invoiced and creates its invoice.
    pub async fn submit_invoice(&self, draft: InvoiceDraft, actor: ActorId) -> Result<Invoice> {
        let at = now();
        self.write(move |mut conn| {
            Box::pin(async move {
                move_order(&mut conn, draft.order_id, OrderTransition::Invoice, actor, None, at).await?;
                let insert = Sql::new(format!(
                    "INSERT INTO invoices (order_id, seller_id, amount, delivery_fee, currency, status, notes, created_at, \
                     updated_at, deposit_amount) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, \
                     (SELECT deposit_amount FROM orders WHERE id = $1)) RETURNING {INVOICE_COLUMNS}"
                ))
                .bind(draft.order_id)
                .bind(draft.seller_id)
                .bind(draft.amount.minor_units())
                .bind(draft.delivery_fee.minor_units())
                .bind(draft.currency.as_str())
                .bind(InvoiceStatus::Pending)
                .bind(draft.notes)
                .bind(at);
                let invoice: Invoice = conn.fetch_one(insert).await?;
                let change = StatusChange::Invoice { from: None, to: InvoiceStatus::Pending };
                let submitted =
                    Event { change, entity_id: invoice.id, order_id: Some(invoice.order_id), actor: Some(actor), reason: None, at };
                events::record(&mut conn, submitted).await?;
                Ok(invoice)
            })
        })
        .await
    }

    pub async fn list_invoices(
        &self,
        status: Option<InvoiceStatus>,
        seller_id: Option<i64>,
        page: PageRequest,
    ) -> Result<Paged<Invoice>> {
        self.fetch_page(page, |sql, count_only| {
            select_counted(sql, count_only, INVOICE_COLUMNS, "invoices WHERE 1 = 1");
            if let Some(status) = status {
                sql.push(" AND status = ").push_bind(status);
            }
            if let Some(seller_id) = seller_id {
                sql.push(" AND seller_id = ").push_bind(seller_id);
            }
            if !count_only {
                sql.push(" ORDER BY id");
            }
        })
        .await
    }

    /// Approves or rejects a pending invoice; a rejection sends its order back to approved.
    pub async fn decide_invoice(
        &self,
        invoice_id: i64,
        approve: bool,
        actor: ActorId,
        reason: Option<String>,
    ) -> Result<Invoice> {
        let at = now();
        let to = if approve { InvoiceStatus::Approved } else { InvoiceStatus::Rejected };
        let change = StatusChange::invoice(InvoiceStatus::Pending, to)?;
        self.write(move |mut conn| {
            Box::pin(async move {
                let decide = Sql::new(format!(
                    "UPDATE invoices SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4 RETURNING {INVOICE_COLUMNS}"
                ))
                .bind(to)
                .bind(at)
                .bind(invoice_id)
                .bind(InvoiceStatus::Pending);
                let Some(invoice) = conn.fetch_optional::<Invoice>(decide).await? else {
                    let status: Option<String> = conn
                        .fetch_optional_scalar(Sql::new("SELECT status FROM invoices WHERE id = $1").bind(invoice_id))
                        .await?;
                    return Err(match status {
                        None => Error::not_found("invoice", invoice_id),
                        Some(status) => Error::conflict_with(
                            "invalid_state",
                            format!(
                                "invoice is {status}: only a {} invoice can be approved or rejected",
                                InvoiceStatus::Pending
                            ),
                            serde_json::json!({ "status": status, "required": InvoiceStatus::Pending.as_str() }),
                        ),
                    });
                };
                let reason = reason.as_deref();
                let decided =
                    Event { change, entity_id: invoice.id, order_id: Some(invoice.order_id), actor: Some(actor), reason, at };
                events::record(&mut conn, decided).await?;
                if approve {
                    let currency = invoice.currency.as_str();
                    payments::on_invoice_approved(&mut conn, invoice.order_id, invoice.amount, currency, actor, at)
                        .await?;
                } else {
                    move_order(&mut conn, invoice.order_id, OrderTransition::ReopenForInvoice, actor, reason, at).await?;
                }
                Ok(invoice)
            })
        })
        .await
    }

    /// Marks the order delivered (its invoice must be approved) and releases the one payment
    /// for it. `from` is where the order must be: `invoiced` for an admin's confirmation,
    /// `out_for_delivery` for a driver's handover (issue 13): both paths are this operation.
    pub async fn confirm_delivery(
        &self,
        order_id: i64,
        actor: ActorId,
        from: OrderStatus,
        empties_received: Option<i64>,
    ) -> Result<Delivery> {
        let at = now();
        let deliver = OrderTransition::delivering_from(from)?;
        self.write(move |mut conn| {
            Box::pin(async move {
                let update = Sql::new(format!(
                    "UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4 \
                     AND EXISTS (SELECT 1 FROM invoices WHERE invoices.order_id = orders.id AND invoices.status = $5) \
                     RETURNING {ORDER_COLUMNS}"
                ))
                .bind(deliver.to())
                .bind(at)
                .bind(order_id)
                .bind(deliver.from())
                .bind(InvoiceStatus::Approved);
                let Some(order) = conn.fetch_optional::<Order>(update).await? else {
                    return Err(match order_status(&mut conn, order_id).await? {
                        None => Error::not_found("order", order_id),
                        Some(OrderStatus::Delivered) => {
                            Error::conflict("already_delivered", "delivery was already confirmed")
                        }
                        Some(status) if status == from => {
                            Error::conflict("invoice_not_approved", "the order's invoice is not approved yet")
                        }
                        Some(status) => deliver.conflict(status),
                    });
                };
                payments::check_collected(&mut conn, order_id).await?;
                let (invoice_id, amount): (i64, i64) = conn
                    .fetch_one(
                        Sql::new("SELECT id, amount FROM invoices WHERE order_id = $1 AND status = $2")
                            .bind(order_id)
                            .bind(InvoiceStatus::Approved),
                    )
                    .await?;
                let insert = Sql::new(format!(
                    "INSERT INTO payments (order_id, invoice_id, seller_id, amount, currency, status, released_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {PAYMENT_COLUMNS}"
                ))
                .bind(order_id)
                .bind(invoice_id)
                .bind(order.seller_id)
                .bind(amount)
                .bind(order.currency.as_str())
                .bind(PaymentStatus::Released)
                .bind(at);
                let payment: Payment = on_unique(
                    conn.fetch_one(insert).await,
                    "already_delivered",
                    "a payment was already released for this order",
                )?;
                deposits::on_delivery(&mut conn, &order, empties_received, actor, at).await?;
                let (actor, reason) = (Some(actor), None);
                let delivered = Event {
                    change: StatusChange::order(deliver),
                    entity_id: order.id,
                    order_id: Some(order_id),
                    actor,
                    reason,
                    at,
                };
                events::record(&mut conn, delivered).await?;
                let change = StatusChange::Payment { from: None, to: PaymentStatus::Released };
                events::record(
                    &mut conn,
                    Event { change, entity_id: payment.id, order_id: Some(order_id), actor, reason, at },
                )
                .await?;
                Ok(Delivery { order, payment })
            })
        })
        .await
    }
}
