//! Test harness shared by the behaviour, invariant, race, server and CLI suites: a fresh
//! database per test on every backend that is available.
//!
//! SQLite always runs. PostgreSQL runs when `GASSTOCK_TEST_PG_URL` points at a database
//! (`scripts/test-postgres.sh` starts one); each test gets its own schema there. When
//! `GASSTOCK_REQUIRE_PG=1` (CI), a missing or unreachable PostgreSQL fails the test
//! instead of skipping it.

use std::sync::atomic::{AtomicU32, Ordering};

use gasstock_core::{Gasstock, Store, StoreConfig};
use sqlx::Connection;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// SQLite, and PostgreSQL when configured.
    pub fn available() -> Vec<Backend> {
        let mut backends = vec![Backend::Sqlite];
        if pg_url().is_some() {
            backends.push(Backend::Postgres);
        }
        backends
    }
}

/// A fresh, empty, migrated database that lives as long as this value.
#[derive(Debug)]
pub struct TestDb {
    pub backend: Backend,
    /// A URL that the server and the CLI accept (`GASSTOCK_DATABASE_URL`).
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

/// A closure that uses only `db.url` would otherwise capture just that field and drop the
/// temporary folder (and the SQLite file in it) before the test runs: a `Drop` impl makes
/// closures capture the whole value.
impl Drop for TestDb {
    fn drop(&mut self) {}
}

/// The PostgreSQL URL to test against, or `None` (skip). Panics when Postgres is required
/// but not configured, so CI cannot silently skip it.
pub fn pg_url() -> Option<String> {
    let url = std::env::var("GASSTOCK_TEST_PG_URL").ok().filter(|url| !url.is_empty());
    if url.is_none() && pg_required() {
        panic!("GASSTOCK_REQUIRE_PG=1 but GASSTOCK_TEST_PG_URL is not set: start one with scripts/test-postgres.sh");
    }
    if url.is_none() {
        static SAID: std::sync::Once = std::sync::Once::new();
        SAID.call_once(|| {
            eprintln!("note: GASSTOCK_TEST_PG_URL is not set: PostgreSQL tests are skipped (SQLite only)")
        });
    }
    url
}

fn pg_required() -> bool {
    std::env::var("GASSTOCK_REQUIRE_PG").is_ok_and(|v| v == "1")
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("gasstock.db").display());
                TestDb { backend, url, _dir: Some(dir) }
            }
            Backend::Postgres => {
                let base = pg_url().expect("PostgreSQL is not configured");
                let schema = unique_schema();
                let mut conn = sqlx::PgConnection::connect(&base)
                    .await
                    .unwrap_or_else(|err| panic!("cannot connect to GASSTOCK_TEST_PG_URL ({base}): {err}"));
                sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut conn).await.expect("create schema");
                let separator = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
                TestDb { backend, url, _dir: None }
            }
        }
    }

    /// A store on this database (migrations applied), with room for `connections` at once.
    pub async fn store(&self, connections: u32) -> Store {
        let config =
            StoreConfig { sqlite_read_connections: connections, pg_max_connections: connections, ..Default::default() };
        Store::open_with(&self.url, &config).await.unwrap_or_else(|err| panic!("open {:?} store: {err}", self.backend))
    }

    pub async fn core(&self) -> Gasstock {
        Gasstock::new(self.store(8).await)
    }
}

/// A schema name no other test (in this or a concurrent process) uses.
fn unique_schema() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("t{}_{}_{}", std::process::id(), nanos, NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Runs `test` once per available backend, each on a fresh database.
pub async fn for_each_backend<F, Fut>(test: F)
where
    F: Fn(TestDb) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        test(TestDb::new(backend).await).await;
    }
}

/// Users, stock and helpers that most core tests start from.
pub mod fixtures {
    use gasstock_core::commands::{Decision, InvoiceInput, OrderInput, StockItemInput};
    use gasstock_core::domain::{dummy_hash, Role};
    use gasstock_core::models::{Order, StockItem};
    use gasstock_core::store::NewUserRecord;
    use gasstock_core::{Actor, Gasstock, Store};

    /// Creates a user straight through the store with a ready-made hash: argon2 is tested
    /// elsewhere and would only slow these tests down.
    pub async fn user(core: &Gasstock, role: Role, name: &str) -> Actor {
        let record = NewUserRecord {
            email: format!("{name}@example.rw").to_lowercase(),
            name: name.to_owned(),
            role,
            phone: None,
            location: Some("Kigali".into()),
            password_hash: dummy_hash().to_owned(),
        };
        let user = core.store().insert_user(record).await.expect("insert user");
        Actor::new(user.id, role)
    }

    pub fn stock_input(brand: &str, weight: &str, location: &str, quantity: i64, unit_price: i64) -> StockItemInput {
        StockItemInput {
            brand: brand.into(),
            weight: weight.into(),
            location: location.into(),
            quantity,
            unit_price,
            currency: None,
            empties: None,
            deposit: None,
            low_stock_threshold: None,
        }
    }

    pub async fn stock(core: &Gasstock, seller: &Actor, quantity: i64, unit_price: i64) -> StockItem {
        core.upsert_stock_item(seller, &stock_input("Jibu", "12kg", "Kigali", quantity, unit_price))
            .await
            .expect("stock")
            .0
    }

    pub fn order_input(inventory_id: i64, quantity: i64) -> OrderInput {
        OrderInput {
            inventory_id,
            quantity,
            delivery_address: Some("KN 5 Rd".into()),
            note: None,
            kind: None,
            payment_method: None,
            payer_phone: None,
            delivery_district: None,
        }
    }

    pub async fn order(core: &Gasstock, buyer: &Actor, inventory_id: i64, quantity: i64) -> Order {
        core.place_order(buyer, &order_input(inventory_id, quantity), None).await.expect("order").0
    }

    pub fn approve() -> Decision {
        Decision { approve: true, reason: None }
    }

    pub fn reject(reason: &str) -> Decision {
        Decision { approve: false, reason: Some(reason.into()) }
    }

    pub fn invoice(order_id: i64, delivery_fee: Option<i64>) -> InvoiceInput {
        InvoiceInput { order_id, delivery_fee, notes: None }
    }

    /// The statuses an order went through, from its status events, oldest first.
    pub async fn order_path(store: &Store, order_id: i64) -> Vec<gasstock_core::domain::OrderStatus> {
        store
            .order_events(order_id)
            .await
            .expect("order events")
            .iter()
            .filter(|event| event.entity == "order")
            .map(|event| event.to_status.parse().expect("a known status"))
            .collect()
    }

    /// Everyone a workflow test needs.
    #[derive(Debug, Clone, Copy)]
    pub struct Cast {
        pub buyer: Actor,
        pub other_buyer: Actor,
        pub seller: Actor,
        pub other_seller: Actor,
        pub admin: Actor,
    }

    pub async fn cast(core: &Gasstock) -> Cast {
        Cast {
            buyer: user(core, Role::Buyer, "buyer").await,
            other_buyer: user(core, Role::Buyer, "buyer2").await,
            seller: user(core, Role::Seller, "seller").await,
            other_seller: user(core, Role::Seller, "seller2").await,
            admin: user(core, Role::Admin, "admin").await,
        }
    }

    /// Every deposit entry `actor` may see, newest first, read page by page.
    pub async fn all_deposit_entries(core: &Gasstock, actor: &Actor) -> Vec<gasstock_core::models::DepositEntry> {
        let mut all = Vec::new();
        for page in 1.. {
            let request = gasstock_core::commands::PageRequest { page, per_page: 100 };
            let entries = core.deposits(actor, request).await.expect("deposits").entries;
            let done = entries.items.len() < 100;
            all.extend(entries.items);
            if done {
                assert_eq!(all.len() as i64, entries.total, "the pages add up to the total");
                return all;
            }
        }
        unreachable!()
    }
}

/// Payment facts read straight from the tables, for invariant checks that no store
/// operation exposes.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PaymentFacts {
    pub order_id: i64,
    pub payments: i64,
    pub payment_amount: i64,
    pub invoice_amount: i64,
    pub invoice_status: String,
    pub delivery_fee: i64,
    pub order_total: i64,
    pub order_status: String,
}

impl PaymentFacts {
    /// Panics unless this is the one payment of a delivered order, equal to its approved
    /// invoice, which is the order total plus the delivery fee.
    pub fn assert_consistent(&self) {
        assert_eq!(self.payments, 1, "more than one payment for order {}", self.order_id);
        assert_eq!(self.order_status, "delivered", "payment for an undelivered order: {self:?}");
        assert_eq!(self.invoice_status, "approved", "{self:?}");
        assert_eq!(self.payment_amount, self.invoice_amount, "{self:?}");
        assert_eq!(self.invoice_amount, self.order_total + self.delivery_fee, "{self:?}");
    }
}

impl TestDb {
    /// One row per order that has a payment.
    pub async fn payment_facts(&self) -> Vec<PaymentFacts> {
        const SQL: &str = "SELECT p.order_id, COUNT(*) OVER (PARTITION BY p.order_id) AS payments, \
            p.amount AS payment_amount, i.amount AS invoice_amount, i.status AS invoice_status, \
            i.delivery_fee, o.total_amount AS order_total, o.status AS order_status \
            FROM payments p JOIN invoices i ON i.id = p.invoice_id JOIN orders o ON o.id = p.order_id ORDER BY p.id";
        match self.backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.url).await.expect("connect");
                sqlx::query_as(SQL).fetch_all(&mut conn).await.expect("payment facts")
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.url).await.expect("connect");
                sqlx::query_as(SQL).fetch_all(&mut conn).await.expect("payment facts")
            }
        }
    }
}
