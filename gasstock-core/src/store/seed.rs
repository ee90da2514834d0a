//! Seeding (part of [`Bulk`]): a generated data set (see `crate::dataset`) written with
//! explicit ids in multi-row `INSERT`s, one transaction per chunk.

use serde::Serialize;

use super::db::{now, Conn, Session, Sql, Tx, Value};
use super::import::Bulk;
use super::movements::{reconcile, record_prices, Scope};
use super::seed_cylinders::seed_deposits;
use super::seed_reviews::seed_reviews;
use crate::dataset::{SeedGenerator, SeedPlan};
use crate::domain::{MovementReason, PaymentStatus, Role};
use crate::error::Result;

/// What a seed run wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SeedSummary {
    /// Sign-in names of the run's first seller and first buyer (`seller0.{run}@...`); the
    /// others differ only in the index.
    pub first_seller: String,
    pub first_buyer: String,
    pub users: u64,
    pub items: u64,
    pub orders: u64,
    pub invoices: u64,
    pub payments: u64,
    pub events: u64,
    /// Accepted returns of empties against deposits.
    pub returns: u64,
    /// Buyers' reviews of delivered orders, counted in their sellers' ratings.
    pub reviews: u64,
}

const ROWS_PER_INSERT: usize = 500;
const ORDERS_PER_TX: u32 = 20_000;
/// Seeded money is in Rwandan francs.
const CURRENCY: &str = "RWF";

impl Bulk<'_> {
    /// Writes a generated data set in chunks, one transaction each; every seeded account
    /// gets `password_hash`. `progress(stage, done)` is called after each chunk.
    pub async fn seed(
        &self,
        plan: SeedPlan,
        password_hash: String,
        progress: &(dyn Fn(&'static str, u64) + Send + Sync),
    ) -> Result<SeedSummary> {
        let at = now();
        let mut summary = SeedSummary::default();

        let mut session = self.store.session().await?;
        let mut tx = self.seed_tx(&mut session).await?;
        let user_base = max_id(&mut tx.conn(), "users").await?;
        let item_base = max_id(&mut tx.conn(), "stock_items").await?;
        let generator = SeedGenerator::new(plan.clone(), at, user_base, item_base);
        let users = generator.users();
        for batch in users.chunks(ROWS_PER_INSERT) {
            let insert = self.insert(
                "users (id, email, name, role, phone, location, password_hash, created_at)",
                batch,
                |user| {
                    vec![
                        user.id.into(),
                        user.email.as_str().into(),
                        user.name.as_str().into(),
                        user.role.into(),
                        Value::OptText(None),
                        user.location.into(),
                        password_hash.as_str().into(),
                        at.into(),
                    ]
                },
            );
            tx.conn().execute(insert).await?;
        }
        summary.users = users.len() as u64;
        let first_email =
            |role: Role| users.iter().find(|u| u.role == role).map(|u| u.email.clone()).unwrap_or_default();
        (summary.first_seller, summary.first_buyer) = (first_email(Role::Seller), first_email(Role::Buyer));
        let items: Vec<_> = (0..plan.items).map(|i| generator.item(i)).collect();
        for batch in items.chunks(ROWS_PER_INSERT) {
            let columns = "stock_items (id, seller_id, brand, weight_g, location, quantity, unit_price, currency, \
                           created_at, updated_at, empties, deposit)";
            let insert = self.insert(columns, batch, |item| {
                let values: [Value; 12] = [
                    item.id.into(),
                    item.seller_id.into(),
                    item.brand.into(),
                    item.weight_g.into(),
                    item.location.into(),
                    item.quantity.into(),
                    item.unit_price.into(),
                    CURRENCY.into(),
                    at.into(),
                    at.into(),
                    item.empties.into(),
                    item.deposit.into(),
                ];
                values.into()
            });
            tx.conn().execute(insert).await?;
        }
        summary.items = items.len() as u64;
        self.sync_ids(&mut tx.conn()).await?;
        // The generated counts open each item's ledger and price history.
        reconcile(&mut tx.conn(), Scope::All, MovementReason::Opening, None, at).await?;
        record_prices(&mut tx.conn(), Scope::All, None, at).await?;
        tx.commit().await?;
        progress("items", summary.items);

        let mut start = 0;
        while start < plan.orders {
            let end = plan.orders.min(start + ORDERS_PER_TX);
            let mut tx = self.seed_tx(&mut session).await?;
            let mut conn = tx.conn();
            let bases = (max_id(&mut conn, "orders").await?, max_id(&mut conn, "invoices").await?);
            let chunk = generator.orders(start..end, bases.0, bases.1, max_id(&mut conn, "payments").await?);
            for batch in chunk.orders.chunks(ROWS_PER_INSERT) {
                let columns = "orders (id, buyer_id, seller_id, inventory_id, brand, weight_g, location, quantity, \
                               unit_price, total_amount, currency, status, delivery_address, note, created_at, updated_at, \
                               kind, deposit_amount)";
                let insert = self.insert(columns, batch, |order| {
                    let item = &items[order.item];
                    let values: [Value; 18] = [
                        order.id.into(),
                        order.buyer_id.into(),
                        item.seller_id.into(),
                        item.id.into(),
                        item.brand.into(),
                        item.weight_g.into(),
                        item.location.into(),
                        order.quantity.into(),
                        item.unit_price.into(),
                        order.total.into(),
                        CURRENCY.into(),
                        order.status.into(),
                        item.location.into(),
                        Value::OptText(None),
                        order.created_at.into(),
                        order.updated_at.into(),
                        order.kind.into(),
                        order.deposit_amount.into(),
                    ];
                    values.into()
                });
                conn.execute(insert).await?;
            }
            for batch in chunk.invoices.chunks(ROWS_PER_INSERT) {
                let columns = "invoices (id, order_id, seller_id, amount, delivery_fee, currency, status, notes, \
                               created_at, updated_at)";
                let insert = self.insert(columns, batch, |invoice| {
                    let values: [Value; 10] = [
                        invoice.id.into(),
                        invoice.order_id.into(),
                        invoice.seller_id.into(),
                        invoice.amount.into(),
                        invoice.delivery_fee.into(),
                        CURRENCY.into(),
                        invoice.status.into(),
                        Value::OptText(None),
                        invoice.created_at.into(),
                        invoice.created_at.into(),
                    ];
                    values.into()
                });
                conn.execute(insert).await?;
            }
            for batch in chunk.payments.chunks(ROWS_PER_INSERT) {
                let columns = "payments (id, order_id, invoice_id, seller_id, amount, currency, status, released_at)";
                let insert = self.insert(columns, batch, |payment| {
                    vec![
                        payment.id.into(),
                        payment.order_id.into(),
                        payment.invoice_id.into(),
                        payment.seller_id.into(),
                        payment.amount.into(),
                        CURRENCY.into(),
                        PaymentStatus::Released.into(),
                        payment.released_at.into(),
                    ]
                });
                conn.execute(insert).await?;
            }
            // Seeded history is not replayed to webhooks: it is stamped dispatched.
            for batch in chunk.events.chunks(ROWS_PER_INSERT) {
                let mut insert = Sql::new(
                    "INSERT INTO status_events (entity, entity_id, order_id, actor_id, from_status, to_status, reason, \
                     created_at, webhook_dispatched_at)",
                );
                insert.push_values(batch, |event| {
                    vec![
                        event.change.entity().into(),
                        event.entity_id.into(),
                        event.order_id.into(),
                        Value::OptInt(None),
                        event.change.from_text().into(),
                        event.change.to_text().into(),
                        Value::OptText(None),
                        event.created_at.into(),
                        event.created_at.into(),
                    ]
                });
                conn.execute(insert).await?;
            }
            self.sync_ids(&mut conn).await?;
            if let (Some(first), Some(last)) = (chunk.orders.first(), chunk.orders.last()) {
                summary.returns += seed_deposits(&mut conn, first.id, last.id, at).await?;
                summary.reviews += seed_reviews(&mut conn, first.id, last.id).await?;
            }
            tx.commit().await?;
            summary.orders += chunk.orders.len() as u64;
            summary.invoices += chunk.invoices.len() as u64;
            summary.payments += chunk.payments.len() as u64;
            summary.events += chunk.events.len() as u64;
            progress("orders", summary.orders);
            start = end;
        }
        Ok(summary)
    }

    /// A write transaction that no other insert can interleave with.
    async fn seed_tx<'s>(&self, session: &'s mut Session) -> Result<Tx<'s>> {
        let mut tx = session.begin_with(self.store.dialect().write_begin()).await?;
        if let Some(lock) = self.store.dialect().seed_lock() {
            tx.conn().run(lock).await?;
        }
        Ok(tx)
    }

    /// `INSERT INTO <table_and_columns> [OVERRIDING ...] VALUES ...`, one row per item.
    fn insert<T>(&self, table_and_columns: &str, items: &[T], row: impl FnMut(&T) -> Vec<Value>) -> Sql {
        let mut sql = Sql::new(format!("INSERT INTO {table_and_columns} {}", self.store.dialect().override_ids()));
        sql.push_values(items, row);
        sql
    }

    /// After explicit-id inserts, moves the id generators past them.
    async fn sync_ids(&self, conn: &mut Conn<'_>) -> Result<()> {
        for statement in self.store.dialect().sync_ids() {
            conn.run(statement).await?;
        }
        Ok(())
    }
}

/// The largest id in `table`, 0 when empty.
async fn max_id(conn: &mut Conn<'_>, table: &str) -> Result<i64> {
    let max: Option<i64> = conn.fetch_scalar(Sql::new(format!("SELECT MAX(id) FROM {table}"))).await?;
    Ok(max.unwrap_or(0))
}
