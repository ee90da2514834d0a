//! Real concurrency: many tasks on separate connections racing for the same rows.

use std::sync::Arc;

use gasstock_core::domain::Role;
use gasstock_core::{Error, Gasstock};
use gasstock_tests::fixtures::{approve, cast, invoice, order, order_input, stock, user};
use gasstock_tests::{for_each_backend, Backend, TestDb};

const BUYERS: usize = 50;

/// Several independent stores on one database: on SQLite that is several processes' worth
/// of connections (the single-writer pool of one store would serialize the race away).
async fn cores(db: &TestDb) -> Vec<Gasstock> {
    let count = match db.backend {
        Backend::Sqlite => 5,
        Backend::Postgres => 1,
    };
    let mut cores = Vec::new();
    for _ in 0..count {
        cores.push(Gasstock::new(db.store(64).await));
    }
    cores
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_buyers_race_for_the_last_ten_cylinders() {
    for_each_backend(|db| async move {
        let cores = cores(&db).await;
        let core = &cores[0];
        let seller = user(core, Role::Seller, "seller").await;
        let item = stock(core, &seller, 10, 15_000).await;
        let mut buyers = Vec::new();
        for n in 0..BUYERS {
            buyers.push(user(core, Role::Buyer, &format!("buyer{n}")).await);
        }

        let start = Arc::new(tokio::sync::Barrier::new(BUYERS));
        let tasks: Vec<_> = buyers
            .into_iter()
            .enumerate()
            .map(|(n, buyer)| {
                let core = cores[n % cores.len()].clone();
                let start = start.clone();
                tokio::spawn(async move {
                    start.wait().await;
                    core.place_order(&buyer, &order_input(item.id, 1), None).await
                })
            })
            .collect();
        let (mut won, mut lost) = (0, 0);
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => won += 1,
                Err(Error::Conflict { code: "insufficient_stock", .. }) => lost += 1,
                Err(other) => panic!("unexpected error: {other:?}"),
            }
        }
        eprintln!("{:?}: {won} orders placed, {lost} refused", db.backend);
        assert_eq!((won, lost), (10, BUYERS - 10));
        assert_eq!(core.store().get_stock_item(item.id).await.unwrap().unwrap().quantity, 0);
        let sold: i64 = core
            .store()
            .list_orders(Default::default(), gasstock_core::commands::PageRequest::new(None, Some(100)).unwrap())
            .await
            .unwrap()
            .items
            .iter()
            .map(|o| o.quantity)
            .sum();
        assert_eq!(sold, 10, "exactly ten units sold");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn buyers_racing_for_mixed_quantities_never_oversell() {
    for_each_backend(|db| async move {
        let cores = cores(&db).await;
        let core = &cores[0];
        let seller = user(core, Role::Seller, "seller").await;
        let item = stock(core, &seller, 37, 100).await;
        let buyer = user(core, Role::Buyer, "buyer").await;
        let tasks: Vec<_> = (0..40)
            .map(|n| {
                let core = cores[n % cores.len()].clone();
                tokio::spawn(
                    async move { core.place_order(&buyer, &order_input(item.id, (n % 4 + 1) as i64), None).await },
                )
            })
            .collect();
        let mut sold = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok((order, _)) => sold += order.quantity,
                Err(Error::Conflict { code: "insufficient_stock", .. }) => {}
                Err(other) => panic!("unexpected error: {other:?}"),
            }
        }
        let left = core.store().get_stock_item(item.id).await.unwrap().unwrap().quantity;
        assert!(left >= 0);
        assert_eq!(sold + left, 37, "stock conserved");
        assert!(left < 4 || sold == 0, "a refused order means too little was left for it");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_delivery_confirmations_release_one_payment() {
    for_each_backend(|db| async move {
        let cores = cores(&db).await;
        let core = &cores[0];
        let c = cast(core).await;
        let item = stock(core, &c.seller, 5, 1_000).await;
        let placed = order(core, &c.buyer, item.id, 2).await;
        core.decide_order(&c.admin, placed.id, &approve()).await.unwrap();
        let bill = core.submit_invoice(&c.seller, &invoice(placed.id, Some(100))).await.unwrap();
        core.decide_invoice(&c.admin, bill.id, &approve()).await.unwrap();

        let admin = c.admin;
        let tasks: Vec<_> = (0..20)
            .map(|n| {
                let core = cores[n % cores.len()].clone();
                tokio::spawn(async move { core.confirm_delivery(&admin, placed.id).await })
            })
            .collect();
        let mut payments = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                Ok(delivery) => payments.push(delivery.payment),
                Err(Error::Conflict { code: "already_delivered", .. }) => {}
                Err(other) => panic!("unexpected error: {other:?}"),
            }
        }
        assert_eq!(payments.len(), 1, "exactly one confirmation wins");
        assert_eq!(payments[0].amount, 2_100);
        let events = core.order_history(&c.admin, placed.id).await.unwrap();
        assert_eq!(events.iter().filter(|e| e.entity == "payment").count(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_idempotent_retries_create_one_order() {
    for_each_backend(|db| async move {
        let cores = cores(&db).await;
        let core = &cores[0];
        let seller = user(core, Role::Seller, "seller").await;
        let buyer = user(core, Role::Buyer, "buyer").await;
        let item = stock(core, &seller, 100, 10).await;
        let tasks: Vec<_> = (0..16)
            .map(|n| {
                let core = cores[n % cores.len()].clone();
                tokio::spawn(async move { core.place_order(&buyer, &order_input(item.id, 3), Some("same-key")).await })
            })
            .collect();
        let mut ids = Vec::new();
        for task in tasks {
            ids.push(task.await.unwrap().expect("every retry gets the order").0.id);
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "one order for one key");
        assert_eq!(core.store().get_stock_item(item.id).await.unwrap().unwrap().quantity, 97, "reserved once");
    })
    .await;
}
