//! The backend chosen at run time from the database URL.

use chrono::{DateTime, Utc};

use super::{ActorId, NewUserRecord, PgStore, SqliteStore, Store};
use crate::commands::{FeedbackDraft, InvoiceDraft, OrderDraft, OrderFilter, PageRequest, StockFilter, StockItemDraft};
use crate::domain::{InvoiceStatus, OrderTransition, Role};
use crate::error::{Error, Result};
use crate::import::{ImportDecision, ImportRow, ImportTally};
use crate::models::{Delivery, Feedback, Invoice, Order, Paged, RatingSummary, StatusEvent, StockItem, User};
use crate::notifications::Notification;
use crate::reports::{SalesQuery, SalesRow, SellerReportRow, StockReportRow};
use crate::seed::{SeedPlan, SeedSummary};
use crate::webhooks::{AttemptRecord, DeliveryJob, Webhook, WebhookAttempt, WebhookDelivery};

/// `SqliteStore` for `sqlite:` URLs, `PgStore` for `postgres:`/`postgresql:` URLs.
#[derive(Debug, Clone)]
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl AnyStore {
    /// Opens the store that `url`'s scheme names and applies its migrations.
    pub async fn open(url: &str) -> Result<Self> {
        match url.split_once(':').map(|(scheme, _)| scheme) {
            Some("sqlite") => Ok(AnyStore::Sqlite(SqliteStore::open(url).await?)),
            Some("postgres" | "postgresql") => Ok(AnyStore::Postgres(PgStore::open(url).await?)),
            _ => Err(Error::invalid(
                "database_url",
                format!("'{url}' is not a database URL: use sqlite://FILE or postgres://USER@HOST/DB"),
            )),
        }
    }

    /// Like [`AnyStore::open`], with the pool sizes and timeouts of `config`.
    pub async fn open_with(url: &str, config: &super::StoreConfig) -> Result<Self> {
        match url.split_once(':').map(|(scheme, _)| scheme) {
            Some("sqlite") => Ok(AnyStore::Sqlite(
                SqliteStore::open_with(
                    url,
                    super::SqliteConfig {
                        read_connections: config.sqlite_read_connections,
                        busy_timeout: config.sqlite_busy_timeout,
                        synchronous_full: config.sqlite_synchronous_full,
                    },
                )
                .await?,
            )),
            Some("postgres" | "postgresql") => Ok(AnyStore::Postgres(
                PgStore::open_with(
                    url,
                    super::PgConfig {
                        max_connections: config.pg_max_connections,
                        acquire_timeout: config.pg_acquire_timeout,
                    },
                )
                .await?,
            )),
            _ => Self::open(url).await,
        }
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self {
            AnyStore::Sqlite(_) => "sqlite",
            AnyStore::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        match self {
            AnyStore::Sqlite(store) => store.close().await,
            AnyStore::Postgres(store) => store.close().await,
        }
    }
}

impl From<SqliteStore> for AnyStore {
    fn from(store: SqliteStore) -> Self {
        AnyStore::Sqlite(store)
    }
}

impl From<PgStore> for AnyStore {
    fn from(store: PgStore) -> Self {
        AnyStore::Postgres(store)
    }
}

/// Forwards each listed method to whichever store this is.
macro_rules! delegate {
    ($( fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty; )+) => {
        impl Store for AnyStore {
            $(
                async fn $name(&self $(, $arg: $ty)*) -> Result<$ret> {
                    match self {
                        AnyStore::Sqlite(store) => store.$name($($arg),*).await,
                        AnyStore::Postgres(store) => store.$name($($arg),*).await,
                    }
                }
            )+
        }
    };
}

delegate! {
    fn ping(&self) -> ();
    fn insert_user(&self, user: NewUserRecord) -> User;
    fn find_credentials(&self, email: &str) -> Option<(User, String)>;
    fn get_user(&self, id: i64) -> Option<User>;
    fn find_user_by_email(&self, email: &str) -> Option<User>;
    fn list_users(&self, role: Option<Role>, page: PageRequest) -> Paged<User>;
    fn upsert_stock_item(&self, seller_id: i64, item: StockItemDraft) -> (StockItem, bool);
    fn get_stock_item(&self, id: i64) -> Option<StockItem>;
    fn list_stock(&self, filter: StockFilter, page: PageRequest) -> Paged<StockItem>;
    fn place_order(&self, order: OrderDraft) -> (Order, bool);
    fn get_order(&self, id: i64) -> Option<Order>;
    fn list_orders(&self, filter: OrderFilter, page: PageRequest) -> Paged<Order>;
    fn transition_order(&self, order_id: i64, transition: OrderTransition, actor: ActorId, reason: Option<String>) -> Order;
    fn submit_invoice(&self, invoice: InvoiceDraft, actor: ActorId) -> Invoice;
    fn list_invoices(&self, status: Option<InvoiceStatus>, seller_id: Option<i64>, page: PageRequest) -> Paged<Invoice>;
    fn decide_invoice(&self, invoice_id: i64, approve: bool, actor: ActorId, reason: Option<String>) -> Invoice;
    fn confirm_delivery(&self, order_id: i64, actor: ActorId) -> Delivery;
    fn insert_feedback(&self, feedback: FeedbackDraft) -> Feedback;
    fn seller_rating(&self, seller_id: i64) -> RatingSummary;
    fn order_events(&self, order_id: i64) -> Vec<StatusEvent>;
    fn revoke_token(&self, jti: &str, expires_at: DateTime<Utc>) -> ();
    fn is_token_revoked(&self, jti: &str) -> bool;
    fn revoked_token_ids(&self) -> Vec<String>;
    fn list_notifications(&self, user_id: i64, unread_only: bool, page: PageRequest) -> Paged<Notification>;
    fn mark_notification_read(&self, user_id: i64, id: i64) -> Option<Notification>;
    fn mark_all_notifications_read(&self, user_id: i64) -> u64;
    fn notifications_after(&self, user_id: i64, after_id: i64, limit: i64) -> Vec<Notification>;
    fn last_notification_id(&self, user_id: i64) -> i64;
    fn seed(&self, plan: SeedPlan, password_hash: String, progress: &(dyn Fn(&'static str, u64) + Send + Sync)) -> SeedSummary;
    fn create_webhook(&self, url: &str, events: &str, secret: &str) -> Webhook;
    fn list_webhooks(&self) -> Vec<Webhook>;
    fn delete_webhook(&self, id: i64) -> bool;
    fn dispatch_webhook_events(&self, limit: i64) -> u64;
    fn claim_webhook_deliveries(&self, limit: i64, lease_until: DateTime<Utc>) -> Vec<DeliveryJob>;
    fn record_webhook_attempt(&self, attempt: AttemptRecord) -> ();
    fn list_webhook_deliveries(&self, webhook_id: Option<i64>, page: PageRequest) -> Paged<WebhookDelivery>;
    fn list_webhook_attempts(&self, webhook_id: Option<i64>, page: PageRequest) -> Paged<WebhookAttempt>;
    fn import_stock(&self, seller_id: i64, batches: impl Iterator<Item = Vec<ImportRow>> + Send, decide: impl FnOnce(&ImportTally) -> ImportDecision + Send) -> (ImportTally, bool);
    fn sales_report(&self, query: SalesQuery) -> Vec<SalesRow>;
    fn stock_report(&self, low: i64, only_low: bool) -> Vec<StockReportRow>;
    fn sellers_report(&self) -> Vec<SellerReportRow>;
}
