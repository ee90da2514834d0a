//! The `stock.low` notification (issue 11), in the core on every backend: an order or an
//! adjustment that takes an item's full count below its threshold notifies the seller once
//! per crossing, a refill, adjustment or upsert that lifts it back re-arms it, concurrent
//! orders cross once, the webhook worker delivers it, and migration 20261202000011 carries
//! existing events and notifications forward.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gasstock_core::commands::{AdjustmentInput, PageRequest, RefillInput, StockItemInput};
use gasstock_core::domain::{AdjustmentReason, Role};
use gasstock_core::models::{Notification, StockItem};
use gasstock_core::webhooks::{WebhookWorker, WorkerConfig};
use gasstock_core::{Actor, Gasstock};
use gasstock_tests::fixtures::{cast, order, reject, stock_input, user};
use gasstock_tests::{for_each_backend, Backend};
use warp::Filter;

const LOW: &str = "stock.low";

/// An item of `quantity` full and 20 empty cylinders, low below `threshold`.
async fn item(core: &Gasstock, seller: &Actor, quantity: i64, threshold: i64) -> StockItem {
    let input = StockItemInput {
        empties: Some(20),
        low_stock_threshold: Some(threshold),
        ..stock_input("Jibu", "12kg", "Kigali", quantity, 15_000)
    };
    core.upsert_stock_item(seller, &input).await.expect("stock").0
}

/// The user's `stock.low` notifications, oldest first.
async fn lows(core: &Gasstock, who: &Actor) -> Vec<Notification> {
    let page = PageRequest { page: 1, per_page: 100 };
    let mut all: Vec<_> =
        core.notifications(who, false, page).await.unwrap().items.into_iter().filter(|n| n.event == LOW).collect();
    all.reverse();
    all
}

fn adjustment(full_delta: i64) -> AdjustmentInput {
    AdjustmentInput { full_delta, empty_delta: 0, reason: AdjustmentReason::Stocktake, note: None }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crossing_the_threshold_notifies_the_seller_once_and_lifting_it_rearms() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let it = item(&core, &c.seller, 10, 5).await;

        // 10 -> 6: still at or above 5, nobody hears of it.
        order(&core, &c.buyer, it.id, 4).await;
        assert!(lows(&core, &c.seller).await.is_empty());
        // 6 -> 4: the crossing, told to the seller only, naming the item and the order.
        let crossing = order(&core, &c.buyer, it.id, 2).await;
        let first = lows(&core, &c.seller).await;
        assert_eq!(first.len(), 1, "{first:?}");
        assert_eq!((first[0].inventory_id, first[0].order_id), (Some(it.id), Some(crossing.id)));
        assert!(first[0].message.contains("4 full left, threshold 5"), "{}", first[0].message);
        assert!(lows(&core, &c.buyer).await.is_empty() && lows(&core, &c.admin).await.is_empty());
        assert!(lows(&core, &c.other_seller).await.is_empty());
        // The buyer's order history does not show the seller's stock alert.
        let history = core.order_history(&c.buyer, crossing.id).await.unwrap();
        assert!(history.iter().all(|e| e.entity == "order"), "{history:?}");
        // 4 -> 3: already below, no second notice.
        order(&core, &c.buyer, it.id, 1).await;
        assert_eq!(lows(&core, &c.seller).await.len(), 1);

        // A refill lifts it to 6 (re-armed); the next order crossing notifies again.
        core.refill(&c.seller, it.id, &RefillInput { quantity: 3, note: None }).await.unwrap();
        order(&core, &c.buyer, it.id, 1).await; // 6 -> 5: not below.
        assert_eq!(lows(&core, &c.seller).await.len(), 1);
        order(&core, &c.buyer, it.id, 1).await; // 5 -> 4
        assert_eq!(lows(&core, &c.seller).await.len(), 2);

        // An adjustment lifts it to 9, another takes it to 2: a crossing with no order.
        core.adjust_stock(&c.seller, it.id, &adjustment(5)).await.unwrap();
        assert_eq!(lows(&core, &c.seller).await.len(), 2, "lifting is no notice");
        core.adjust_stock(&c.seller, it.id, &adjustment(-7)).await.unwrap();
        let after_adjust = lows(&core, &c.seller).await;
        assert_eq!(after_adjust.len(), 3);
        assert_eq!((after_adjust[2].inventory_id, after_adjust[2].order_id), (Some(it.id), None));
        core.adjust_stock(&c.seller, it.id, &adjustment(-1)).await.unwrap();
        assert_eq!(lows(&core, &c.seller).await.len(), 3, "already below");

        // The seller's upsert sets 8 full (re-armed); an order taking 4 crosses again.
        item(&core, &c.seller, 8, 5).await;
        let fourth = order(&core, &c.buyer, it.id, 4).await;
        assert_eq!(lows(&core, &c.seller).await.len(), 4);

        // Rejecting that order brings its 4 back (8, re-armed): the next take crosses again.
        core.decide_order(&c.admin, fourth.id, &reject("no truck")).await.unwrap();
        order(&core, &c.buyer, it.id, 4).await;
        assert_eq!(lows(&core, &c.seller).await.len(), 5);

        // An item without a threshold never notifies; the item's events are the five crossings.
        let plain = core.upsert_stock_item(&c.other_seller, &stock_input("Kobil", "6kg", "Huye", 3, 9_000)).await;
        order(&core, &c.buyer, plain.unwrap().0.id, 3).await;
        assert!(lows(&core, &c.other_seller).await.is_empty());
        let events = core.store().stock_events(it.id).await.unwrap();
        assert_eq!(events.len(), 5);
        assert!(events.iter().all(|e| e.entity == "stock" && e.entity_id == it.id && e.from_status.is_none()));
    })
    .await;
}

/// 12 buyers each take one of 10 full cylinders (threshold 5) at once: the count crosses 5
/// exactly once, so exactly one notice, whoever's order it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_orders_cross_once() {
    for_each_backend(|db| async move {
        let core = Arc::new(db.core().await);
        let c = cast(&core).await;
        let it = item(&core, &c.seller, 10, 5).await;
        let mut tasks = Vec::new();
        for n in 0..12 {
            let core = core.clone();
            tasks.push(tokio::spawn(async move {
                let buyer = user(&core, Role::Buyer, &format!("racer{n}")).await;
                let input = gasstock_tests::fixtures::order_input(it.id, 1);
                core.place_order(&buyer, &input, None).await.is_ok()
            }));
        }
        let mut placed = 0;
        for task in tasks {
            placed += i64::from(task.await.unwrap());
        }
        assert_eq!(placed, 10, "ten cylinders, ten orders");
        let seen = lows(&core, &c.seller).await;
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(seen[0].order_id.is_some());
    })
    .await;
}

/// Records every POSTed (event header, body).
#[derive(Clone)]
struct Receiver {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<(String, serde_json::Value)>>>,
}

impl Receiver {
    async fn start() -> Receiver {
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        let route = warp::post().and(warp::header::<String>("gasstock-event")).and(warp::body::json()).map(
            move |event: String, body: serde_json::Value| {
                log.lock().unwrap().push((event, body));
                warp::http::StatusCode::NO_CONTENT
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(warp::serve(route).incoming(listener).run());
        Receiver { addr, received }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_receives_stock_low() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let receiver = Receiver::start().await;
        let url = format!("http://{}/hooks", receiver.addr);
        core.add_webhook(&c.admin, &url, &[LOW.to_owned()], true).await.unwrap();
        let it = item(&core, &c.seller, 6, 5).await;
        let placed = order(&core, &c.buyer, it.id, 2).await;
        let worker = WebhookWorker::new(
            core.clone(),
            WorkerConfig { poll_interval: Duration::from_millis(10), ..WorkerConfig::default() },
        )
        .unwrap();
        for _ in 0..100 {
            worker.run_once().await.unwrap();
            if !receiver.received.lock().unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Only the subscribed event: the order.created of the same transaction is not sent.
        let got = receiver.received.lock().unwrap().clone();
        assert_eq!(got.len(), 1, "{got:?}");
        let (event, body) = &got[0];
        assert_eq!((event.as_str(), body["type"].as_str()), (LOW, Some(LOW)));
        let data = &body["data"];
        assert_eq!(data["entity"], "stock");
        assert_eq!((data["entity_id"].as_i64(), data["inventory_id"].as_i64()), (Some(it.id), Some(it.id)));
        assert_eq!(data["order_id"].as_i64(), Some(placed.id));
        assert_eq!(data["to"], "low");
    })
    .await;
}

/// Migration 20261202000011 on a database of the schema before it, with an order, its status
/// event and the seller's notification: they carry forward unchanged, and stock events and
/// notifications follow with new ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_events_and_notifications_carry_forward() {
    use sqlx::migrate::Migrator;
    fn before_stock_events(mut migrator: Migrator) -> Migrator {
        let old: Vec<_> = migrator.migrations.iter().filter(|m| m.version < 20261202000011).cloned().collect();
        migrator.migrations = old.into();
        migrator
    }
    const OLD_DATA: [&str; 5] = [
        "INSERT INTO users (email, name, role, password_hash, created_at) VALUES \
         ('s@old.rw', 'S', 'seller', 'x', '2026-11-30T10:00:00Z'), ('b@old.rw', 'B', 'buyer', 'x', '2026-11-30T10:00:00Z')",
        "INSERT INTO stock_items (seller_id, brand, weight_g, location, quantity, unit_price, currency, created_at, \
         updated_at, low_stock_threshold) VALUES (1, 'Jibu', 12000, 'Kigali', 7, 15000, 'RWF', '2026-11-30T10:00:00Z', \
         '2026-11-30T10:00:00Z', 5)",
        "INSERT INTO orders (buyer_id, seller_id, inventory_id, brand, weight_g, location, quantity, unit_price, \
         total_amount, currency, status, created_at, updated_at) VALUES (2, 1, 1, 'Jibu', 12000, 'Kigali', 3, 15000, \
         45000, 'RWF', 'pending', '2026-11-30T10:00:00Z', '2026-11-30T10:00:00Z')",
        "INSERT INTO status_events (entity, entity_id, order_id, actor_id, from_status, to_status, created_at, \
         webhook_dispatched_at) VALUES ('order', 1, 1, 2, NULL, 'pending', '2026-11-30T10:00:00Z', \
         '2026-11-30T10:00:00Z')",
        "INSERT INTO notifications (user_id, event_id, event, order_id, title, message, created_at) VALUES \
         (1, 1, 'order.created', 1, 'New order #1', 'Order #1 was placed.', '2026-11-30T10:00:00Z')",
    ];
    for_each_backend(|db| async move {
        match db.backend {
            Backend::Sqlite => {
                let options: sqlx::sqlite::SqliteConnectOptions = db.url.parse().unwrap();
                let pool = sqlx::SqlitePool::connect_with(options.create_if_missing(true)).await.unwrap();
                before_stock_events(sqlx::migrate!("../migrations/sqlite")).run(&pool).await.unwrap();
                for statement in OLD_DATA {
                    sqlx::query(statement).execute(&pool).await.unwrap();
                }
                pool.close().await;
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
                before_stock_events(sqlx::migrate!("../migrations/postgres")).run(&pool).await.unwrap();
                for statement in OLD_DATA {
                    sqlx::query(statement).execute(&pool).await.unwrap();
                }
                pool.close().await;
            }
        }
        let core = db.core().await;
        let seller = Actor::new(1, Role::Seller);
        let buyer = Actor::new(2, Role::Buyer);
        let old = core.notifications(&seller, false, PageRequest::default()).await.unwrap();
        assert_eq!(old.total, 1);
        let kept = &old.items[0];
        assert_eq!(
            (kept.id, kept.event.as_str(), kept.order_id, kept.inventory_id),
            (1, "order.created", Some(1), None)
        );
        let events = core.store().order_events(1).await.unwrap();
        assert_eq!(events.iter().map(|e| (e.id, e.order_id)).collect::<Vec<_>>(), [(1, Some(1))]);

        // 7 -> 4 crosses the old item's threshold: new event and notifications past the old ids.
        order(&core, &buyer, 1, 3).await;
        let now = lows(&core, &seller).await;
        assert_eq!(now.len(), 1);
        assert!(now[0].id > 1 && now[0].inventory_id == Some(1));
        let stock_events = core.store().stock_events(1).await.unwrap();
        assert_eq!(stock_events.len(), 1);
        assert!(stock_events[0].id > 1);
    })
    .await;
}
