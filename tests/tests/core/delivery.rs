//! Dispatch in the core (issue 13), on every backend: wrong handover codes racing for the
//! last attempts, and the migration that adds drivers carrying existing data forward.

use std::sync::Arc;

use gasstock_core::commands::browse::BrowseQuery;
use gasstock_core::commands::driver::{CompleteInput, DispatchInput};
use gasstock_core::commands::{PageRequest, StockQuery};
use gasstock_core::domain::{OrderStatus, Role, MAX_WRONG_CODES};
use gasstock_core::store::NewUserRecord;
use gasstock_core::{Actor, Error, Gasstock};
use gasstock_tests::fixtures::{approve, invoice, order, order_path, stock, user};
use gasstock_tests::for_each_backend;

async fn driver_of(core: &Gasstock, seller: &Actor, name: &str) -> Actor {
    let record = NewUserRecord {
        email: format!("{name}@example.rw"),
        name: name.into(),
        role: Role::Driver,
        phone: None,
        location: None,
        password_hash: gasstock_core::domain::dummy_hash().to_owned(),
    };
    let driver = core.store().insert_driver(record, seller.user_id).await.expect("driver");
    Actor::new(driver.id, Role::Driver)
}

/// An order of 2, approved, invoiced and its invoice approved, then dispatched to `driver`.
async fn dispatched(core: &Gasstock, buyer: &Actor, seller: &Actor, admin: &Actor, driver: &Actor) -> i64 {
    let item = stock(core, seller, 10, 1000).await;
    let placed = order(core, buyer, item.id, 2).await;
    core.decide_order(admin, placed.id, &approve()).await.unwrap();
    let bill = core.submit_invoice(seller, &invoice(placed.id, Some(300))).await.unwrap();
    core.decide_invoice(admin, bill.id, &approve()).await.unwrap();
    core.dispatch(seller, placed.id, &DispatchInput { driver_id: driver.user_id }).await.unwrap();
    placed.id
}

/// Twelve wrong codes at once, on separate connections: exactly five are counted (422), the
/// rest find the delivery locked (409), and then so does the right code.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_wrong_codes_are_each_counted_and_lock_at_five() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let (buyer, seller, admin) = (
            user(&core, Role::Buyer, "buyer").await,
            user(&core, Role::Seller, "seller").await,
            user(&core, Role::Admin, "admin").await,
        );
        let driver = driver_of(&core, &seller, "driver").await;
        let id = dispatched(&core, &buyer, &seller, &admin, &driver).await;
        let code = core.order_view(&buyer, id).await.unwrap().handover_code.expect("the buyer's code");
        let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
        let start = Arc::new(tokio::sync::Barrier::new(12));
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let (core, start, wrong) = (core.clone(), start.clone(), wrong.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    core.complete_delivery(&driver, id, &CompleteInput { code: wrong, empties_received: None }).await
                })
            })
            .collect();
        let mut counted: i64 = 0;
        let mut locked = 0;
        for task in tasks {
            match task.await.unwrap() {
                Err(Error::Invalid { field, .. }) if field == "code" => counted += 1,
                Err(Error::Conflict { code: "delivery_locked", .. }) => locked += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!((counted, locked), (MAX_WRONG_CODES, 12 - MAX_WRONG_CODES));
        let right = core.complete_delivery(&driver, id, &CompleteInput { code, empties_received: None }).await;
        assert!(matches!(right, Err(Error::Conflict { code: "delivery_locked", .. })), "{right:?}");
        let live = core.store().current_dispatch(id).await.unwrap().unwrap();
        assert_eq!((live.wrong_codes, live.locked), (MAX_WRONG_CODES, true));
        let listed = core.driver_deliveries(&driver, PageRequest::default()).await.unwrap();
        assert_eq!(listed.total, 1);
        assert_eq!(core.order(&buyer, id).await.unwrap().status, OrderStatus::OutForDelivery);
    })
    .await;
}

/// Migrations 20261202000050.. on a database of the schema before them (SQLite rebuilds
/// `users` and `orders`; `seller_ratings` is filled from the feedback given before): users, orders and their ids carry forward, the sequences go on after them,
/// and an order placed before it is dispatched and delivered after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_users_and_orders_carry_forward_through_the_drivers_migration() {
    use sqlx::migrate::Migrator;
    fn before_drivers(mut migrator: Migrator) -> Migrator {
        let old: Vec<_> = migrator.migrations.iter().filter(|m| m.version < 20261202000050).cloned().collect();
        migrator.migrations = old.into();
        migrator
    }
    for_each_backend(|db| async move {
        let now = chrono::Utc::now();
        let statements = [
            "INSERT INTO users (email, name, role, password_hash, created_at) VALUES ('s@x.rw', 'S', 'seller', 'h', $1)",
            "INSERT INTO users (email, name, role, password_hash, created_at) VALUES ('b@x.rw', 'B', 'buyer', 'h', $1)",
            "INSERT INTO users (email, name, role, password_hash, created_at) VALUES ('gone@x.rw', 'G', 'buyer', 'h', $1)",
            "DELETE FROM users WHERE email = 'gone@x.rw' AND $1 IS NOT NULL",
            "INSERT INTO stock_items (seller_id, brand, weight_g, location, quantity, unit_price, currency, created_at, \
             updated_at) VALUES (1, 'Jibu', 12000, 'Kigali', 8, 1000, 'RWF', $1, $1)",
            "INSERT INTO orders (buyer_id, seller_id, inventory_id, brand, weight_g, location, quantity, unit_price, \
             total_amount, currency, status, delivery_address, created_at, updated_at) \
             VALUES (2, 1, 1, 'Jibu', 12000, 'Kigali', 2, 1000, 2000, 'RWF', 'approved', 'KN 5 Rd', $1, $1)",
            "INSERT INTO status_events (entity, entity_id, order_id, actor_id, from_status, to_status, created_at) \
             VALUES ('order', 1, 1, 2, NULL, 'pending', $1)",
            "INSERT INTO status_events (entity, entity_id, order_id, actor_id, from_status, to_status, created_at) \
             VALUES ('order', 1, 1, NULL, 'pending', 'approved', $1)",
            // Feedback from before seller_ratings (migration 20261202000052): it is counted.
            "INSERT INTO feedback (order_id, buyer_id, seller_id, rating, comment, created_at) VALUES (1, 2, 1, 4, NULL, $1)",
        ];
        match db.backend {
            gasstock_tests::Backend::Sqlite => {
                let options: sqlx::sqlite::SqliteConnectOptions = db.url.parse().unwrap();
                let pool = sqlx::SqlitePool::connect_with(options.create_if_missing(true)).await.unwrap();
                before_drivers(sqlx::migrate!("../migrations/sqlite")).run(&pool).await.unwrap();
                for sql in statements {
                    sqlx::query(sql).bind(now).execute(&pool).await.unwrap();
                }
                pool.close().await;
            }
            gasstock_tests::Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
                before_drivers(sqlx::migrate!("../migrations/postgres")).run(&pool).await.unwrap();
                for sql in statements {
                    sqlx::query(sql).bind(now).execute(&pool).await.unwrap();
                }
                pool.close().await;
            }
        }
        let core = db.core().await;
        let seller = core.user(1).await.unwrap().expect("the seller carried forward");
        let buyer = core.user(2).await.unwrap().expect("the buyer carried forward");
        assert_eq!((seller.email.as_str(), seller.role, buyer.role), ("s@x.rw", Role::Seller, Role::Buyer));
        let (seller, buyer) = (Actor::new(1, Role::Seller), Actor::new(2, Role::Buyer));
        let profile = core.seller_profile(1).await.unwrap();
        assert_eq!((profile.rating, profile.reviews), (Some(4.0), 1), "the old review is counted");
        // The old item browses through the rebuilt browse index (20261202000053), ranked.
        for sort in ["price", "rating"] {
            let query = BrowseQuery {
                stock: StockQuery { brand: Some("jibu".into()), weight: Some("12kg".into()), location: None },
                sort: Some(sort.into()),
                ..BrowseQuery::default()
            };
            let found = core.browse(&query, PageRequest::default()).await.unwrap();
            let rows: Vec<_> = found.items.iter().map(|b| (b.item.id, b.seller_rating, b.seller_reviews)).collect();
            assert_eq!((rows, found.total), (vec![(1, Some(4.0), 1)], 1), "sort={sort}");
        }
        let old = core.order(&buyer, 1).await.unwrap();
        assert_eq!((old.status, old.quantity, old.delivery_address.as_deref()), (OrderStatus::Approved, 2, Some("KN 5 Rd")));
        let driver = driver_of(&core, &seller, "driver").await;
        assert!(driver.user_id > 3, "the users sequence goes on after the deleted id 3, got {}", driver.user_id);
        let admin = user(&core, Role::Admin, "admin").await;
        let bill = core.submit_invoice(&seller, &invoice(1, None)).await.unwrap();
        core.decide_invoice(&admin, bill.id, &approve()).await.unwrap();
        core.dispatch(&seller, 1, &DispatchInput { driver_id: driver.user_id }).await.unwrap();
        let code = core.order_view(&buyer, 1).await.unwrap().handover_code.unwrap();
        let delivered = core.complete_delivery(&driver, 1, &CompleteInput { code, empties_received: None }).await.unwrap();
        assert_eq!((delivered.order.status, delivered.payment.amount), (OrderStatus::Delivered, 2000));
        let path = order_path(core.store(), 1).await;
        use OrderStatus::*;
        assert_eq!(path, [Pending, Approved, Invoiced, OutForDelivery, Delivered]);
        let next = order(&core, &buyer, old.inventory_id, 1).await;
        assert_eq!(next.id, 2, "the orders sequence goes on");
    })
    .await;
}
