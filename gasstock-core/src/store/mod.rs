//! The storage port: domain operations, each one atomic, and its two adapters.
//!
//! Every operation that checks state and then writes does both in one transaction, with the
//! check in the SQL (`UPDATE ... WHERE status = $n`, `WHERE quantity >= $n`), so that no race
//! can slip between them. Both adapters share their SQL (see `sql_store`).

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::commands::{FeedbackDraft, InvoiceDraft, OrderDraft, OrderFilter, PageRequest, StockFilter, StockItemDraft};
use crate::domain::{InvoiceStatus, OrderTransition, Role};
use crate::error::Result;
use crate::import::{ImportDecision, ImportRow, ImportTally};
use crate::models::{Delivery, Feedback, Invoice, Order, Paged, RatingSummary, StatusEvent, StockItem, User};
use crate::notifications::Notification;
use crate::reports::{SalesQuery, SalesRow, SellerReportRow, StockReportRow};
use crate::seed::{SeedPlan, SeedSummary};
use crate::webhooks::{AttemptRecord, DeliveryJob, Webhook, WebhookAttempt, WebhookDelivery};

#[macro_use]
mod sql_store;
mod any;
mod config;
mod postgres;
mod sqlite;

pub use any::AnyStore;
pub use config::StoreConfig;
pub use postgres::{PgConfig, PgStore};
pub use sqlite::{SqliteConfig, SqliteStore};

/// The default database: a SQLite file in the working folder.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://gasstock.db";

/// A new account, its password already hashed.
#[derive(Debug, Clone)]
pub struct NewUserRecord {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub phone: Option<String>,
    pub location: Option<String>,
    pub password_hash: String,
}

/// Who made a change, recorded in its status event.
pub type ActorId = i64;

/// Storage of every gasstock object. Implemented by [`SqliteStore`] and [`PgStore`]; the
/// shared behaviour suite in `tests/` runs against both.
pub trait Store: Clone + Send + Sync + 'static {
    /// Answers when the database does (readiness).
    fn ping(&self) -> impl Future<Output = Result<()>> + Send;

    /// Fails with `Conflict("duplicate_email")` when the email is taken.
    fn insert_user(&self, user: NewUserRecord) -> impl Future<Output = Result<User>> + Send;
    /// The user and their password hash.
    fn find_credentials(&self, email: &str) -> impl Future<Output = Result<Option<(User, String)>>> + Send;
    fn get_user(&self, id: i64) -> impl Future<Output = Result<Option<User>>> + Send;
    fn find_user_by_email(&self, email: &str) -> impl Future<Output = Result<Option<User>>> + Send;
    fn list_users(&self, role: Option<Role>, page: PageRequest) -> impl Future<Output = Result<Paged<User>>> + Send;

    /// Adds or updates the item keyed by (seller, brand, weight, location); `true` if created.
    fn upsert_stock_item(
        &self,
        seller_id: i64,
        item: StockItemDraft,
    ) -> impl Future<Output = Result<(StockItem, bool)>> + Send;
    fn get_stock_item(&self, id: i64) -> impl Future<Output = Result<Option<StockItem>>> + Send;
    fn list_stock(
        &self,
        filter: StockFilter,
        page: PageRequest,
    ) -> impl Future<Output = Result<Paged<StockItem>>> + Send;

    /// Reserves the stock and creates the order; `false` when an idempotent retry returned
    /// the first order. `Conflict("insufficient_stock")` when not enough is available.
    fn place_order(&self, order: OrderDraft) -> impl Future<Output = Result<(Order, bool)>> + Send;
    fn get_order(&self, id: i64) -> impl Future<Output = Result<Option<Order>>> + Send;
    fn list_orders(&self, filter: OrderFilter, page: PageRequest) -> impl Future<Output = Result<Paged<Order>>> + Send;
    /// Approve, reject or cancel: moves the order if it is still in `transition.from()`,
    /// giving the stock back when the move says so.
    fn transition_order(
        &self,
        order_id: i64,
        transition: OrderTransition,
        actor: ActorId,
        reason: Option<String>,
    ) -> impl Future<Output = Result<Order>> + Send;

    /// Moves the approved order to invoiced and creates its invoice.
    fn submit_invoice(&self, invoice: InvoiceDraft, actor: ActorId) -> impl Future<Output = Result<Invoice>> + Send;
    fn list_invoices(
        &self,
        status: Option<InvoiceStatus>,
        seller_id: Option<i64>,
        page: PageRequest,
    ) -> impl Future<Output = Result<Paged<Invoice>>> + Send;
    /// Approves or rejects a pending invoice; a rejection sends its order back to approved.
    fn decide_invoice(
        &self,
        invoice_id: i64,
        approve: bool,
        actor: ActorId,
        reason: Option<String>,
    ) -> impl Future<Output = Result<Invoice>> + Send;
    /// Marks the invoiced order delivered (its invoice must be approved) and releases the
    /// one payment for it.
    fn confirm_delivery(&self, order_id: i64, actor: ActorId) -> impl Future<Output = Result<Delivery>> + Send;

    /// `Conflict("duplicate_feedback")` on a second feedback for the order.
    fn insert_feedback(&self, feedback: FeedbackDraft) -> impl Future<Output = Result<Feedback>> + Send;
    fn seller_rating(&self, seller_id: i64) -> impl Future<Output = Result<RatingSummary>> + Send;

    /// The status events of an order, its invoices and its payment, oldest first.
    fn order_events(&self, order_id: i64) -> impl Future<Output = Result<Vec<StatusEvent>>> + Send;

    fn revoke_token(&self, jti: &str, expires_at: DateTime<Utc>) -> impl Future<Output = Result<()>> + Send;
    fn is_token_revoked(&self, jti: &str) -> impl Future<Output = Result<bool>> + Send;
    /// The ids of every revoked token not yet expired (for a server's revocation cache).
    fn revoked_token_ids(&self) -> impl Future<Output = Result<Vec<String>>> + Send;

    /// A user's notifications, newest first.
    fn list_notifications(
        &self,
        user_id: i64,
        unread_only: bool,
        page: PageRequest,
    ) -> impl Future<Output = Result<Paged<Notification>>> + Send;
    /// Marks one of the user's notifications read; `None` if it is not theirs.
    fn mark_notification_read(
        &self,
        user_id: i64,
        id: i64,
    ) -> impl Future<Output = Result<Option<Notification>>> + Send;
    /// Marks all of the user's notifications read; returns how many changed.
    fn mark_all_notifications_read(&self, user_id: i64) -> impl Future<Output = Result<u64>> + Send;
    /// The user's notifications with an id above `after_id`, oldest first (live streams and
    /// their replay after a reconnect).
    fn notifications_after(
        &self,
        user_id: i64,
        after_id: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Notification>>> + Send;
    /// The id of the user's newest notification, 0 if none.
    fn last_notification_id(&self, user_id: i64) -> impl Future<Output = Result<i64>> + Send;

    /// Writes a generated data set (see [`crate::seed`]) in chunks, one transaction each;
    /// every seeded account gets `password_hash`.
    fn seed(
        &self,
        plan: SeedPlan,
        password_hash: String,
        progress: &(dyn Fn(&'static str, u64) + Send + Sync),
    ) -> impl Future<Output = Result<SeedSummary>> + Send;

    fn create_webhook(&self, url: &str, events: &str, secret: &str) -> impl Future<Output = Result<Webhook>> + Send;
    fn list_webhooks(&self) -> impl Future<Output = Result<Vec<Webhook>>> + Send;
    /// `false` when there was no such webhook.
    fn delete_webhook(&self, id: i64) -> impl Future<Output = Result<bool>> + Send;
    /// Turns up to `limit` undispatched status events into deliveries for the webhooks
    /// subscribed to them; returns how many events were dispatched.
    fn dispatch_webhook_events(&self, limit: i64) -> impl Future<Output = Result<u64>> + Send;
    /// Claims up to `limit` due deliveries until `lease_until`; nobody else takes them
    /// before then.
    fn claim_webhook_deliveries(
        &self,
        limit: i64,
        lease_until: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<DeliveryJob>>> + Send;
    fn record_webhook_attempt(&self, attempt: AttemptRecord) -> impl Future<Output = Result<()>> + Send;
    /// Newest first.
    fn list_webhook_deliveries(
        &self,
        webhook_id: Option<i64>,
        page: PageRequest,
    ) -> impl Future<Output = Result<Paged<WebhookDelivery>>> + Send;
    /// Every delivery attempt (optionally of one webhook's deliveries), newest first.
    fn list_webhook_attempts(
        &self,
        webhook_id: Option<i64>,
        page: PageRequest,
    ) -> impl Future<Output = Result<Paged<WebhookAttempt>>> + Send;

    /// Bulk stock import (see [`crate::import`]): stages every batch in a temporary table
    /// and finds duplicate keys; then, unless there are duplicates or `decide` (given the
    /// staged tally) says [`ImportDecision::Abort`], tallies created/updated/unchanged and,
    /// for [`ImportDecision::Write`], upserts all rows for the seller in the same write
    /// transaction. Returns the tally and whether it was written.
    fn import_stock(
        &self,
        seller_id: i64,
        batches: impl Iterator<Item = Vec<ImportRow>> + Send,
        decide: impl FnOnce(&ImportTally) -> ImportDecision + Send,
    ) -> impl Future<Output = Result<(ImportTally, bool)>> + Send;
    /// Delivered orders grouped as `query.by` says, per currency.
    fn sales_report(&self, query: SalesQuery) -> impl Future<Output = Result<Vec<SalesRow>>> + Send;
    /// Every stock item with its reserved quantity; `low` marks `quantity <= low`.
    fn stock_report(&self, low: i64, only_low: bool) -> impl Future<Output = Result<Vec<StockReportRow>>> + Send;
    /// Orders, deliveries, revenue and ratings per seller.
    fn sellers_report(&self) -> impl Future<Output = Result<Vec<SellerReportRow>>> + Send;
}
