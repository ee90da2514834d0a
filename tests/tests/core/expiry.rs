//! Expiry on both backends: pending orders past GASSTOCK_PENDING_TTL and mobile-money orders
//! not paid within GASSTOCK_PAYMENT_TTL become `expired`, their stock back exactly once; on
//! PostgreSQL two instances sweeping at once expire each order once.

use std::time::Duration;

use gasstock_core::domain::{CollectionStatus, OrderStatus, Role};
use gasstock_core::payments::{Expirer, ExpiryConfig};
use gasstock_core::Gasstock;
use gasstock_momo_sandbox::{Behaviour, Sandbox, SandboxConfig};
use gasstock_tests::fixtures::{approve, cast, order, order_path, stock, user};
use gasstock_tests::{for_each_backend, Backend};

use crate::mobile_money::{approved_mobile_order, collector};

fn expirer(core: &Gasstock, pending_ttl: Duration, payment_ttl: Duration) -> Expirer {
    Expirer::new(core.store().clone(), ExpiryConfig { pending_ttl, payment_ttl, batch: 256 })
}

const LONG: Duration = Duration::from_secs(3600);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_orders_past_their_ttl_expire_once_and_give_their_stock_back() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let item = stock(&core, &c.seller, 10, 1_000).await;
        let stale = order(&core, &c.buyer, item.id, 3).await;
        let approved = order(&core, &c.buyer, item.id, 2).await;
        core.decide_order(&c.admin, approved.id, &approve()).await.unwrap();
        assert_eq!(core.stock_item(item.id).await.unwrap().quantity, 5);

        // A TTL of an hour expires nothing yet; a zero TTL expires the pending order only.
        assert!(expirer(&core, LONG, LONG).run_once().await.unwrap().is_empty());
        let sweep = expirer(&core, Duration::ZERO, LONG);
        let expired = sweep.run_once().await.unwrap();
        assert_eq!(expired.iter().map(|o| o.id).collect::<Vec<_>>(), [stale.id]);
        assert_eq!(expired[0].status, OrderStatus::Expired);
        assert!(sweep.run_once().await.unwrap().is_empty(), "once");
        assert_eq!(core.stock_item(item.id).await.unwrap().quantity, 8, "3 back, exactly once");
        assert_eq!(order_path(core.store(), stale.id).await, [OrderStatus::Pending, OrderStatus::Expired]);
        let history = core.order_history(&c.admin, stale.id).await.unwrap();
        assert_eq!(history.last().unwrap().actor_id, None, "expired by the sweep, no actor");
        for who in [&c.buyer, &c.seller] {
            let feed = core.notifications(who, Default::default(), Default::default()).await.unwrap();
            assert!(feed.items.iter().any(|n| n.event == "order.expired" && n.order_id == Some(stale.id)));
        }
        // An expired order is final: it cannot be approved or cancelled any more.
        assert!(core.decide_order(&c.admin, stale.id, &approve()).await.is_err());
        assert!(core.cancel_order(&c.buyer, stale.id).await.is_err());
        assert_eq!(core.order(&c.buyer, approved.id).await.unwrap().status, OrderStatus::Approved);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpaid_mobile_money_orders_expire_and_paid_ones_do_not() {
    for_each_backend(|db| async move {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        sandbox.script("250788123456", Behaviour::pending());
        let core = db.core().await;
        let c = cast(&core).await;
        let unpaid = approved_mobile_order(&core, &c).await;
        let collector = collector(&core, &sandbox);
        collector.send_due().await.unwrap();
        assert!(expirer(&core, LONG, LONG).run_once().await.unwrap().is_empty(), "within the payment TTL");
        let expired = expirer(&core, LONG, Duration::ZERO).run_once().await.unwrap();
        assert_eq!(expired.iter().map(|o| o.id).collect::<Vec<_>>(), [unpaid.id]);
        let payment = core.order_payment(&c.buyer, unpaid.id).await.unwrap();
        let closed = payment.collection.unwrap();
        assert_eq!((closed.status, closed.reason.as_deref()), (CollectionStatus::Failed, Some("expired")));
        assert_eq!(core.stock_item(unpaid.inventory_id).await.unwrap().quantity, 10, "2 back");
        // A payment approved after the expiry is not taken for the expired order.
        sandbox.script("250788123456", Behaviour::success());
        assert_eq!(collector.check(&closed.reference.parse().unwrap()).await.unwrap(), None);
        assert!(core.retry_payment(&c.buyer, unpaid.id).await.is_err());

        // A paid one stays invoiced and is delivered, whatever the TTL.
        let paid = approved_mobile_order(&core, &c).await;
        collector.run_once().await.unwrap();
        collector.run_once().await.unwrap();
        assert!(expirer(&core, Duration::ZERO, Duration::ZERO).run_once().await.unwrap().is_empty());
        core.confirm_delivery(&c.admin, paid.id).await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_sweeping_at_once_expire_each_order_once() {
    for_each_backend(|db| async move {
        // Two stores on one database: two server instances (on SQLite, two processes' worth).
        let (a, b) = (Gasstock::new(db.store(8).await), Gasstock::new(db.store(8).await));
        let seller = user(&a, Role::Seller, "seller").await;
        let item = stock(&a, &seller, 100, 1_000).await;
        let mut orders = Vec::new();
        for n in 0..20 {
            let buyer = user(&a, Role::Buyer, &format!("buyer{n}")).await;
            orders.push(order(&a, &buyer, item.id, 2).await.id);
        }
        assert_eq!(a.stock_item(item.id).await.unwrap().quantity, 60);
        let (one, two) = (expirer(&a, Duration::ZERO, LONG), expirer(&b, Duration::ZERO, LONG));
        let start = std::sync::Arc::new(tokio::sync::Barrier::new(2));
        let (s1, s2) = (start.clone(), start);
        let first = tokio::spawn(async move {
            s1.wait().await;
            one.run_once().await.unwrap()
        });
        let second = tokio::spawn(async move {
            s2.wait().await;
            two.run_once().await.unwrap()
        });
        let (first, second) = (first.await.unwrap(), second.await.unwrap());
        let mut all: Vec<i64> = first.iter().chain(second.iter()).map(|o| o.id).collect();
        all.sort_unstable();
        assert_eq!(all, orders, "every order expired by exactly one instance");
        if db.backend == Backend::Postgres {
            eprintln!("instance a expired {}, instance b {}", first.len(), second.len());
        }
        assert_eq!(a.stock_item(item.id).await.unwrap().quantity, 100, "all 40 back, once");
        for id in orders {
            let events = a.store().order_events(id).await.unwrap();
            assert_eq!(events.iter().filter(|e| e.to_status == "expired").count(), 1, "order {id}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_larger_than_a_batch_drains_in_one_sweep() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let item = stock(&core, &c.seller, 20, 1_000).await;
        for _ in 0..5 {
            order(&core, &c.buyer, item.id, 1).await;
        }
        let config = |batch| ExpiryConfig { pending_ttl: Duration::ZERO, payment_ttl: LONG, batch };
        // One batch of 2 leaves 3 waiting; draining takes them all (batches of 2, 2 and 1),
        // where the sweep used to take one batch per period.
        assert_eq!(Expirer::new(core.store().clone(), config(2)).run_once().await.unwrap().len(), 2);
        assert_eq!(Expirer::new(core.store().clone(), config(2)).run_until_drained().await.unwrap(), 3);
        assert_eq!(core.stock_item(item.id).await.unwrap().quantity, 20, "all 5 back");
        // Nothing left: the drain ends at once.
        assert_eq!(Expirer::new(core.store().clone(), config(2)).run_until_drained().await.unwrap(), 0);
    })
    .await;
}
