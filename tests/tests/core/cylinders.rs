//! Cylinders as LPG is sold (issue 11), in the core on every backend: refill and new orders,
//! the stock ledger, refills and adjustments, returns against deposits, price history, and
//! the migration that carries an existing database forward.

use std::sync::Arc;

use gasstock_core::commands::{
    AdjustmentInput, OrderInput, PageRequest, RefillInput, ReturnDecision, ReturnInput, StockItemInput,
};
use gasstock_core::domain::{AdjustmentReason, MovementReason, OrderKind, ReturnStatus, Role};
use gasstock_core::models::{Order, StockItem, StockMovement};
use gasstock_core::{Actor, Error, Gasstock};
use gasstock_tests::fixtures::{approve, cast, invoice, order, reject, stock_input, user, Cast};
use gasstock_tests::{for_each_backend, Backend, TestDb};

fn code(err: Error) -> &'static str {
    match err {
        Error::Conflict { code, .. } => code,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

/// An item with a deposit (and empties) set by the seller.
pub async fn cylinder_item(core: &Gasstock, seller: &Actor, quantity: i64, empties: i64, deposit: i64) -> StockItem {
    let input = StockItemInput {
        empties: Some(empties),
        deposit: Some(deposit),
        ..stock_input("Jibu", "12kg", "Kigali", quantity, 15_000)
    };
    core.upsert_stock_item(seller, &input).await.expect("stock").0
}

pub async fn order_of(core: &Gasstock, buyer: &Actor, inventory_id: i64, quantity: i64, kind: OrderKind) -> Order {
    let input = OrderInput {
        inventory_id,
        quantity,
        delivery_address: None,
        note: None,
        kind: Some(kind),
        payment_method: None,
        payer_phone: None,
        delivery_district: None,
    };
    core.place_order(buyer, &input, None).await.expect("order").0
}

/// Approve, invoice, approve the invoice, confirm delivery.
pub async fn deliver(core: &Gasstock, c: &Cast, order_id: i64) -> Order {
    core.decide_order(&c.admin, order_id, &approve()).await.expect("approve");
    let bill = core.submit_invoice(&c.seller, &invoice(order_id, None)).await.expect("invoice");
    core.decide_invoice(&c.admin, bill.id, &approve()).await.expect("approve invoice");
    core.confirm_delivery(&c.admin, order_id).await.expect("deliver").order
}

/// The whole ledger of an item, oldest first.
pub async fn ledger(core: &Gasstock, item_id: i64) -> Vec<StockMovement> {
    let mut all = core.store().list_movements(item_id, PageRequest { page: 1, per_page: 100 }).await.unwrap().items;
    all.reverse();
    all
}

/// The item's counts equal the sums of its ledger's deltas, and are never negative.
pub async fn assert_ledger_balances(core: &Gasstock, item_id: i64) -> StockItem {
    let item = core.store().get_stock_item(item_id).await.unwrap().unwrap();
    let lines = ledger(core, item_id).await;
    let full: i64 = lines.iter().map(|m| m.full_delta).sum();
    let empty: i64 = lines.iter().map(|m| m.empty_delta).sum();
    assert_eq!((item.quantity, item.empties), (full, empty), "counts vs ledger of item {item_id}: {lines:?}");
    assert!(item.quantity >= 0 && item.empties >= 0);
    item
}

#[tokio::test]
async fn refill_and_new_orders_total_deliver_and_leave_their_ledger_lines() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let item = cylinder_item(&core, &c.seller, 10, 0, 40_000).await;
        assert_eq!((item.empties, item.deposit, item.low_stock_threshold), (0, 40_000, None));

        // No kind: a refill, exactly today's total.
        let refill = order(&core, &c.buyer, item.id, 2).await;
        assert_eq!((refill.kind, refill.total_amount, refill.deposit_amount), (OrderKind::Refill, 30_000, 0));
        let new = order_of(&core, &c.buyer, item.id, 3, OrderKind::New).await;
        assert_eq!((new.total_amount, new.deposit_amount), (3 * 15_000 + 3 * 40_000, 120_000));

        // The deposit is frozen: a later change does not touch the order or its invoice.
        let dearer = StockItemInput { deposit: Some(99_000), ..stock_input("Jibu", "12kg", "Kigali", 5, 15_000) };
        core.upsert_stock_item(&c.seller, &dearer).await.unwrap();
        let delivered = deliver(&core, &c, new.id).await;
        assert_eq!(delivered.deposit_amount, 120_000);
        let payment = core.store().get_order(new.id).await.unwrap().unwrap();
        assert_eq!(payment.total_amount, 165_000);

        deliver(&core, &c, refill.id).await;
        let after = assert_ledger_balances(&core, item.id).await;
        assert_eq!((after.quantity, after.empties), (5, 2), "the refill's empties came back, not the new sale's");

        let lines = ledger(&core, item.id).await;
        let summary: Vec<_> = lines.iter().map(|m| (m.reason, m.full_delta, m.empty_delta, m.order_id)).collect();
        assert_eq!(
            summary,
            [
                (MovementReason::Upsert, 10, 0, None),
                (MovementReason::Placed, -2, 0, Some(refill.id)),
                (MovementReason::Placed, -3, 0, Some(new.id)),
                // The seller's upsert to 5 matched what the ledger said: no line.
                (MovementReason::Delivered, 0, 2, Some(refill.id)),
            ]
        );
        assert_eq!(lines[1].actor_id, Some(c.buyer.user_id));
        assert_eq!(lines[3].actor_id, Some(c.admin.user_id));

        // The buyer now holds deposits for the 3 new cylinders.
        let deposits = core.deposits(&c.buyer, PageRequest::default()).await.unwrap();
        assert_eq!((deposits.total, deposits.cylinders), (120_000, 3));
        assert_eq!((deposits.entries.items.len(), deposits.entries.total), (1, 1));
        assert_eq!(deposits.entries.items[0].order_id, Some(new.id));
        assert_eq!(core.deposits(&c.other_buyer, PageRequest::default()).await.unwrap().total, 0);
        assert_eq!(core.deposits(&c.seller, PageRequest::default()).await.unwrap().total, 120_000);
        assert_eq!(core.deposits(&c.other_seller, PageRequest::default()).await.unwrap().balances, []);
        assert_eq!(core.deposits(&c.admin, PageRequest::default()).await.unwrap().total, 120_000);
    })
    .await;
}

#[tokio::test]
async fn rejected_and_cancelled_orders_give_stock_back_with_a_line_naming_the_order() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let item = cylinder_item(&core, &c.seller, 10, 0, 0).await;
        let rejected = order(&core, &c.buyer, item.id, 4).await;
        let cancelled = order(&core, &c.buyer, item.id, 1).await;
        core.decide_order(&c.admin, rejected.id, &reject("no truck")).await.unwrap();
        core.cancel_order(&c.buyer, cancelled.id).await.unwrap();
        let lines = ledger(&core, item.id).await;
        let back: Vec<_> = lines[3..].iter().map(|m| (m.reason, m.full_delta, m.order_id, m.actor_id)).collect();
        assert_eq!(
            back,
            [
                (MovementReason::Rejected, 4, Some(rejected.id), Some(c.admin.user_id)),
                (MovementReason::Cancelled, 1, Some(cancelled.id), Some(c.buyer.user_id)),
            ]
        );
        assert_eq!(assert_ledger_balances(&core, item.id).await.quantity, 10);
        // An order whose item has no stock left is refused and leaves no line.
        assert_eq!(
            code(
                core.place_order(&c.buyer, &gasstock_tests::fixtures::order_input(item.id, 11), None)
                    .await
                    .unwrap_err()
            ),
            "insufficient_stock"
        );
        assert_eq!(ledger(&core, item.id).await.len(), 5);
    })
    .await;
}

#[tokio::test]
async fn refills_and_adjustments_move_counts_but_never_below_zero() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let item = cylinder_item(&core, &c.seller, 2, 5, 0).await;
        let refill = core
            .refill(&c.seller, item.id, &RefillInput { quantity: 4, note: Some("depot run".into()) })
            .await
            .unwrap();
        assert_eq!((refill.item.quantity, refill.item.empties), (6, 1));
        assert_eq!(
            (refill.movement.reason, refill.movement.full_delta, refill.movement.empty_delta),
            (MovementReason::Refill, 4, -4)
        );
        assert_eq!(refill.movement.note.as_deref(), Some("depot run"));
        let too_many = core.refill(&c.seller, item.id, &RefillInput { quantity: 2, note: None }).await.unwrap_err();
        assert_eq!(code(too_many), "insufficient_stock");

        let adjust = |full: i64, empty: i64, reason| AdjustmentInput {
            full_delta: full,
            empty_delta: empty,
            reason,
            note: None,
        };
        let lost = core.adjust_stock(&c.seller, item.id, &adjust(-1, 0, AdjustmentReason::Lost)).await.unwrap();
        assert_eq!((lost.item.quantity, lost.movement.reason), (5, MovementReason::Lost));
        assert_eq!(
            code(core.adjust_stock(&c.admin, item.id, &adjust(0, -2, AdjustmentReason::Damaged)).await.unwrap_err()),
            "insufficient_stock"
        );
        let found = core.adjust_stock(&c.admin, item.id, &adjust(0, 3, AdjustmentReason::Found)).await.unwrap();
        assert_eq!((found.item.empties, found.movement.actor_id), (4, Some(c.admin.user_id)));

        // Who may: the seller and admins; a buyer is refused, another seller sees no such item.
        assert!(matches!(
            core.refill(&c.buyer, item.id, &RefillInput { quantity: 1, note: None }).await,
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            core.adjust_stock(&c.other_seller, item.id, &adjust(1, 0, AdjustmentReason::Found)).await,
            Err(Error::NotFound { .. })
        ));
        assert!(matches!(
            core.stock_movements(&c.other_seller, item.id, PageRequest::default()).await,
            Err(Error::NotFound { .. })
        ));
        assert!(matches!(
            core.stock_movements(&c.buyer, item.id, PageRequest::default()).await,
            Err(Error::Forbidden(_))
        ));
        assert_eq!(core.stock_movements(&c.admin, item.id, PageRequest::default()).await.unwrap().total, 4);
        // A stocktake that finds the books right changes nothing and leaves its line.
        let counted = core.adjust_stock(&c.seller, item.id, &adjust(0, 0, AdjustmentReason::Stocktake)).await.unwrap();
        assert_eq!((counted.movement.full_delta, counted.movement.empty_delta), (0, 0));
        assert_eq!(core.stock_movements(&c.admin, item.id, PageRequest::default()).await.unwrap().total, 5);
        assert_ledger_balances(&core, item.id).await;
    })
    .await;
}

#[tokio::test]
async fn returns_settle_against_deposits_and_refund_only_the_good_cylinders() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let item = cylinder_item(&core, &c.seller, 10, 0, 40_000).await;
        let new = order_of(&core, &c.buyer, item.id, 3, OrderKind::New).await;
        let ret = |quantity| ReturnInput { inventory_id: item.id, quantity };

        // Before delivery the buyer holds no deposit.
        assert_eq!(code(core.create_return(&c.buyer, &ret(1)).await.unwrap_err()), "insufficient_deposit");
        deliver(&core, &c, new.id).await;
        assert_eq!(code(core.create_return(&c.buyer, &ret(4)).await.unwrap_err()), "insufficient_deposit");
        assert!(matches!(core.create_return(&c.seller, &ret(1)).await, Err(Error::Forbidden(_))));

        let first = core.create_return(&c.buyer, &ret(2)).await.unwrap();
        assert_eq!((first.status, first.seller_id, first.refund_amount), (ReturnStatus::Pending, c.seller.user_id, 0));
        // Two are promised: only one more may be returned.
        assert_eq!(code(core.create_return(&c.buyer, &ret(2)).await.unwrap_err()), "insufficient_deposit");

        let accept = |good, damaged| ReturnDecision { accept: true, good, damaged };
        assert!(matches!(core.settle_return(&c.buyer, first.id, &accept(None, None)).await, Err(Error::Forbidden(_))));
        assert!(matches!(
            core.settle_return(&c.other_seller, first.id, &accept(None, None)).await,
            Err(Error::NotFound { .. })
        ));
        assert!(matches!(
            core.settle_return(&c.seller, first.id, &accept(Some(2), Some(1))).await,
            Err(Error::Invalid { .. })
        ));
        let settled = core.settle_return(&c.seller, first.id, &accept(None, Some(1))).await.unwrap();
        assert_eq!((settled.status, settled.good, settled.damaged), (ReturnStatus::Accepted, Some(1), Some(1)));
        assert_eq!(
            (settled.deposit_released, settled.refund_amount),
            (80_000, 40_000),
            "the damaged one forfeits its deposit"
        );
        assert_eq!(
            code(core.settle_return(&c.seller, first.id, &accept(None, None)).await.unwrap_err()),
            "invalid_state"
        );

        let item_now = assert_ledger_balances(&core, item.id).await;
        assert_eq!(item_now.empties, 1, "only the good cylinder joins the empties");
        let last = ledger(&core, item.id).await.pop().unwrap();
        assert_eq!((last.reason, last.return_id, last.empty_delta), (MovementReason::Returned, Some(first.id), 1));

        // A rejected return gives its promise back.
        let second = core.create_return(&c.buyer, &ret(1)).await.unwrap();
        core.settle_return(&c.admin, second.id, &ReturnDecision { accept: false, good: None, damaged: None })
            .await
            .unwrap();
        let deposits = core.deposits(&c.buyer, PageRequest::default()).await.unwrap();
        assert_eq!((deposits.total, deposits.cylinders, deposits.balances[0].pending), (40_000, 1, 0));
        let third = core.create_return(&c.buyer, &ret(1)).await.unwrap();
        let done = core.settle_return(&c.admin, third.id, &accept(None, None)).await.unwrap();
        assert_eq!(done.refund_amount, 40_000);
        let deposits = core.deposits(&c.buyer, PageRequest::default()).await.unwrap();
        assert_eq!((deposits.total, deposits.cylinders), (0, 0));
        assert_eq!(deposits.entries.items.iter().map(|e| e.amount).sum::<i64>(), 0);
        assert_eq!(core.returns(&c.buyer, PageRequest::default()).await.unwrap().total, 3);
        assert_eq!(core.returns(&c.other_buyer, PageRequest::default()).await.unwrap().total, 0);
    })
    .await;
}

#[tokio::test]
async fn prices_and_deposits_are_kept_as_they_change() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let item = cylinder_item(&core, &c.seller, 10, 0, 40_000).await;
        // The same price again adds nothing; a new price or deposit adds a line.
        cylinder_item(&core, &c.seller, 9, 0, 40_000).await;
        let cheaper = StockItemInput { deposit: None, ..stock_input("Jibu", "12kg", "Kigali", 9, 14_000) };
        core.upsert_stock_item(&c.seller, &cheaper).await.unwrap();
        cylinder_item(&core, &c.seller, 9, 0, 45_000).await;
        let prices: Vec<_> =
            core.price_history(item.id).await.unwrap().iter().map(|p| (p.unit_price, p.deposit)).collect();
        assert_eq!(prices, [(15_000, 40_000), (14_000, 40_000), (15_000, 45_000)]);
        assert!(matches!(core.price_history(item.id + 100).await, Err(Error::NotFound { .. })));
    })
    .await;
}

/// 40 tasks return the same deposits at once: exactly as many succeed as cylinders are held,
/// and the balance never goes below zero; concurrent adjustments never take a count below zero.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_returns_of_the_same_deposits_and_concurrent_adjustments_race_safely() {
    for_each_backend(|db| async move {
        let cores = racing_cores(&db).await;
        let core = &cores[0];
        let c = cast(core).await;
        let item = cylinder_item(core, &c.seller, 20, 10, 1_000).await;
        let new = order_of(core, &c.buyer, item.id, 5, OrderKind::New).await;
        deliver(core, &c, new.id).await;

        const RACERS: usize = 40;
        let start = Arc::new(tokio::sync::Barrier::new(RACERS));
        let tasks: Vec<_> = (0..RACERS)
            .map(|n| {
                let (core, start, buyer) = (cores[n % cores.len()].clone(), start.clone(), c.buyer);
                tokio::spawn(async move {
                    start.wait().await;
                    let returned =
                        core.create_return(&buyer, &ReturnInput { inventory_id: item.id, quantity: 1 }).await;
                    (n, returned)
                })
            })
            .collect();
        let mut accepted = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                (_, Ok(r)) => accepted.push(r),
                (_, Err(err)) => assert_eq!(code(err), "insufficient_deposit"),
            }
        }
        assert_eq!(accepted.len(), 5, "five deposits held, five returns");
        // Settling them all at once, from every store, takes the balance exactly to zero.
        let settle: Vec<_> = accepted
            .iter()
            .enumerate()
            .map(|(n, r)| {
                let (core, admin, id) = (cores[n % cores.len()].clone(), c.admin, r.id);
                tokio::spawn(async move {
                    core.settle_return(&admin, id, &ReturnDecision { accept: true, good: None, damaged: None }).await
                })
            })
            .collect();
        let mut refunded = 0;
        for task in settle {
            refunded += task.await.unwrap().unwrap().refund_amount;
        }
        assert_eq!(refunded, 5_000, "never more than was paid");
        let deposits = core.deposits(&c.buyer, PageRequest::default()).await.unwrap();
        assert_eq!((deposits.total, deposits.cylinders), (0, 0));

        // 40 adjustments of -1 full against 15 full cylinders: 15 pass, never below zero.
        let start = Arc::new(tokio::sync::Barrier::new(RACERS));
        let tasks: Vec<_> = (0..RACERS)
            .map(|n| {
                let (core, start, seller) = (cores[n % cores.len()].clone(), start.clone(), c.seller);
                tokio::spawn(async move {
                    start.wait().await;
                    let lost =
                        AdjustmentInput { full_delta: -1, empty_delta: -1, reason: AdjustmentReason::Lost, note: None };
                    core.adjust_stock(&seller, item.id, &lost).await
                })
            })
            .collect();
        let mut passed = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => passed += 1,
                Err(err) => assert_eq!(code(err), "insufficient_stock"),
            }
        }
        assert_eq!(passed, 15, "10 empties + 5 returned = 15 empties, 15 full");
        let item = assert_ledger_balances(core, item.id).await;
        assert_eq!((item.quantity, item.empties), (0, 0));
    })
    .await;
}

/// Several independent stores on one database (see races.rs).
async fn racing_cores(db: &TestDb) -> Vec<Gasstock> {
    let count = match db.backend {
        Backend::Sqlite => 4,
        Backend::Postgres => 1,
    };
    let mut cores = Vec::new();
    for _ in 0..count {
        cores.push(Gasstock::new(db.store(48).await));
    }
    cores
}

/// Migration 20261202000010 on a database of the schema before it, with stock, orders and a
/// delivery in it: every item opens its ledger and price history with what it holds, orders
/// become refills, and the whole workflow carries on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_database_carries_forward_into_the_cylinder_schema() {
    use sqlx::migrate::Migrator;
    fn before_cylinders(mut migrator: Migrator) -> Migrator {
        let old: Vec<_> = migrator.migrations.iter().filter(|m| m.version < 20261202000010).cloned().collect();
        migrator.migrations = old.into();
        migrator
    }
    const OLD_DATA: [&str; 4] = [
        "INSERT INTO users (email, name, role, password_hash, created_at) VALUES \
         ('s@old.rw', 'S', 'seller', 'x', '2026-11-30T10:00:00Z'), ('b@old.rw', 'B', 'buyer', 'x', '2026-11-30T10:00:00Z')",
        "INSERT INTO stock_items (seller_id, brand, weight_g, location, quantity, unit_price, currency, created_at, \
         updated_at) VALUES (1, 'Jibu', 12000, 'Kigali', 7, 15000, 'RWF', '2026-11-30T10:00:00Z', '2026-11-30T10:00:00Z')",
        "INSERT INTO orders (buyer_id, seller_id, inventory_id, brand, weight_g, location, quantity, unit_price, \
         total_amount, currency, status, created_at, updated_at) VALUES (2, 1, 1, 'Jibu', 12000, 'Kigali', 3, 15000, \
         45000, 'RWF', 'pending', '2026-11-30T10:00:00Z', '2026-11-30T10:00:00Z')",
        "INSERT INTO orders (buyer_id, seller_id, inventory_id, brand, weight_g, location, quantity, unit_price, \
         total_amount, currency, status, created_at, updated_at) VALUES (2, 1, 1, 'Jibu', 12000, 'Kigali', 1, 15000, \
         15000, 'RWF', 'delivered', '2026-11-30T10:00:00Z', '2026-11-30T10:00:00Z')",
    ];
    for_each_backend(|db| async move {
        match db.backend {
            Backend::Sqlite => {
                let options: sqlx::sqlite::SqliteConnectOptions = db.url.parse().unwrap();
                let pool = sqlx::SqlitePool::connect_with(options.create_if_missing(true)).await.unwrap();
                before_cylinders(sqlx::migrate!("../migrations/sqlite")).run(&pool).await.unwrap();
                for statement in OLD_DATA {
                    sqlx::query(statement).execute(&pool).await.unwrap();
                }
                pool.close().await;
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
                before_cylinders(sqlx::migrate!("../migrations/postgres")).run(&pool).await.unwrap();
                for statement in OLD_DATA {
                    sqlx::query(statement).execute(&pool).await.unwrap();
                }
                pool.close().await;
            }
        }
        let core = db.core().await;
        let item = core.stock_item(1).await.unwrap();
        assert_eq!((item.quantity, item.empties, item.deposit, item.low_stock_threshold), (7, 0, 0, None));
        let lines = ledger(&core, 1).await;
        assert_eq!(lines.len(), 1);
        assert_eq!((lines[0].reason, lines[0].full_delta, lines[0].actor_id), (MovementReason::Opening, 7, None));
        let prices = core.price_history(1).await.unwrap();
        assert_eq!(prices.iter().map(|p| (p.unit_price, p.deposit)).collect::<Vec<_>>(), [(15_000, 0)]);
        for id in [1, 2] {
            let old = core.store().get_order(id).await.unwrap().unwrap();
            assert_eq!((old.kind, old.deposit_amount), (OrderKind::Refill, 0));
        }

        // The old pending order goes on: rejected, its stock comes back with a line naming it.
        let admin = user(&core, Role::Admin, "admin").await;
        core.decide_order(&admin, 1, &reject("old")).await.unwrap();
        let back = ledger(&core, 1).await.pop().unwrap();
        assert_eq!((back.reason, back.full_delta, back.order_id), (MovementReason::Rejected, 3, Some(1)));
        assert_eq!(assert_ledger_balances(&core, 1).await.quantity, 10);
        // New rows get new ids past the old ones.
        let seller = Actor::new(1, Role::Seller);
        let refill = core.refill(&seller, 1, &RefillInput { quantity: 1, note: None }).await;
        assert_eq!(code(refill.unwrap_err()), "insufficient_stock", "no empties carried forward");
        let adjusted = core
            .adjust_stock(
                &seller,
                1,
                &AdjustmentInput { full_delta: 0, empty_delta: 4, reason: AdjustmentReason::Stocktake, note: None },
            )
            .await
            .unwrap();
        assert!(adjusted.movement.id > back.id);
        assert_eq!(assert_ledger_balances(&core, 1).await.empties, 4);
    })
    .await;
}
