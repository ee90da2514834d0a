//! SQLite's group commit: the writer thread commits every order waiting in its queue in one
//! transaction, each in a savepoint, so one refused order does not undo the others.

use std::time::Duration;

use sqlx::Connection;

use gasstock_core::domain::Role;
use gasstock_core::{Error, Gasstock};
use gasstock_tests::fixtures::{order_input, stock, user};
use gasstock_tests::{Backend, TestDb};

const BUYERS: usize = 40;
const STOCK: i64 = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_with_refused_orders_commits_the_others() {
    let db = TestDb::new(Backend::Sqlite).await;
    let store = db.store(4).await;
    let core = Gasstock::new(store.clone());
    let seller = user(&core, Role::Seller, "seller").await;
    let item = stock(&core, &seller, STOCK, 15_000).await;
    let mut buyers = Vec::new();
    for n in 0..BUYERS {
        buyers.push(user(&core, Role::Buyer, &format!("buyer{n}")).await);
    }
    let before = store.group_commit_stats().expect("SQLite counts its batches");

    // Another process holds the write lock. The first order reaches the writer thread alone
    // and waits in its busy timeout; every other order queues up behind it meanwhile, so the
    // writer's next transaction holds all of them. (Spawned together, the writer could take
    // any number of them into that first, blocked batch, and the test would depend on how
    // many: it did, under load.)
    let path = db.url.trim_start_matches("sqlite://");
    let mut other_process = sqlx::SqliteConnection::connect(&format!("sqlite://{path}")).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut other_process).await.unwrap();
    let place = |buyer| {
        let core = core.clone();
        tokio::spawn(async move { core.place_order(&buyer, &order_input(item.id, 1), None).await })
    };
    let mut buyers = buyers.into_iter();
    let mut tasks = vec![place(buyers.next().unwrap())];
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(store.group_commit_stats().unwrap().queued, 0, "the writer took the first order");
    tasks.extend(buyers.map(place));
    for _ in 0..200 {
        if store.group_commit_stats().unwrap().queued as usize == BUYERS - 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    sqlx::query("COMMIT").execute(&mut other_process).await.unwrap();

    let (mut placed, mut refused) = (Vec::new(), 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok((order, _)) => placed.push(order),
            Err(Error::Conflict { code: "insufficient_stock", .. }) => refused += 1,
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!((placed.len(), refused), (STOCK as usize, BUYERS - STOCK as usize));

    let after = store.group_commit_stats().unwrap();
    assert_eq!(after.units - before.units, BUYERS as u64, "{after:?}");
    assert_eq!(after.batches - before.batches, 2, "the first order, then all the others: {after:?}");
    assert_eq!(after.largest_batch, BUYERS as u64 - 1, "the queued orders went in one transaction: {after:?}");
    assert!(after.mixed_batches > before.mixed_batches, "a batch committed some and refused others: {after:?}");
    assert_eq!(after.refused - before.refused, refused as u64);

    // What was answered 201 is there, from a fresh store: committed, not just answered.
    let reopened = db.store(1).await;
    for order in &placed {
        assert_eq!(reopened.get_order(order.id).await.unwrap().as_ref(), Some(order));
    }
    let left = reopened.get_stock_item(item.id).await.unwrap().unwrap();
    assert_eq!(left.quantity, 0, "every cylinder went to exactly one placed order");
}
