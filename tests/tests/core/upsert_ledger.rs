//! The seller's upsert writes its ledger line as the difference from the counts the row held
//! just before (read by key in the upsert's unit of work), on every backend: exact after any
//! mix of moves, case-insensitive on the key, and exact when orders race the upserts.

use std::sync::Arc;

use gasstock_core::commands::{AdjustmentInput, PageRequest, StockItemInput};
use gasstock_core::domain::{AdjustmentReason, MovementReason, Role};
use gasstock_core::Gasstock;
use gasstock_tests::fixtures::{cast, order, order_input, stock_input, user};
use gasstock_tests::for_each_backend;

/// Asserts the item's counts equal its ledger's sums; returns the ledger, oldest first.
async fn balanced(core: &Gasstock, id: i64) -> Vec<gasstock_core::models::StockMovement> {
    let mut lines = Vec::new();
    for page in 1.. {
        let got = core.store().list_movements(id, PageRequest { page, per_page: 100 }).await.unwrap();
        let done = got.items.len() < 100;
        lines.extend(got.items);
        if done {
            break;
        }
    }
    lines.reverse();
    let item = core.store().get_stock_item(id).await.unwrap().unwrap();
    let full: i64 = lines.iter().map(|m| m.full_delta).sum();
    let empty: i64 = lines.iter().map(|m| m.empty_delta).sum();
    assert_eq!((item.quantity, item.empties), (full, empty), "counts vs ledger: {lines:?}");
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upsert_line_is_the_difference_from_the_previous_counts() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let input =
            |quantity, empties| StockItemInput { empties, ..stock_input("Jibu", "12kg", "Kigali", quantity, 15_000) };
        let (it, created) = core.upsert_stock_item(&c.seller, &input(10, Some(2))).await.unwrap();
        assert!(created);
        order(&core, &c.buyer, it.id, 3).await; // 7 full
        let found = AdjustmentInput { full_delta: 0, empty_delta: 5, reason: AdjustmentReason::Found, note: None };
        core.adjust_stock(&c.seller, it.id, &found).await.unwrap(); // 7 empty
                                                                    // Same key in other case: the same item; 12 full (+5), empties left out (kept, 0).
        let other_case = StockItemInput { empties: None, ..stock_input("JIBU", "12kg", "kigali", 12, 15_000) };
        let (again, created) = core.upsert_stock_item(&c.seller, &other_case).await.unwrap();
        assert_eq!((again.id, created, again.quantity, again.empties), (it.id, false, 12, 7));
        let lines = balanced(&core, it.id).await;
        let last = lines.last().unwrap();
        assert_eq!((last.reason, last.full_delta, last.empty_delta), (MovementReason::Upsert, 5, 0));
        // Setting what it holds adds no line; setting empties only moves empties.
        core.upsert_stock_item(&c.seller, &input(12, Some(7))).await.unwrap();
        assert_eq!(balanced(&core, it.id).await.len(), lines.len());
        core.upsert_stock_item(&c.seller, &input(12, Some(1))).await.unwrap();
        let lines = balanced(&core, it.id).await;
        assert_eq!((lines.last().unwrap().full_delta, lines.last().unwrap().empty_delta), (0, -6));
    })
    .await;
}

/// 30 orders and 10 upserts of one item at once: whatever the interleaving, the counts equal
/// the ledger's sums (the upsert reads the previous counts locked, so no order's line is
/// counted twice or lost).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upserts_racing_orders_keep_the_ledger_exact() {
    for_each_backend(|db| async move {
        let core = Arc::new(db.core().await);
        let c = cast(&core).await;
        let (it, _) =
            core.upsert_stock_item(&c.seller, &stock_input("Jibu", "12kg", "Kigali", 50, 15_000)).await.unwrap();
        let mut tasks = Vec::new();
        for n in 0..40 {
            let (core, seller) = (core.clone(), c.seller);
            tasks.push(tokio::spawn(async move {
                if n % 4 == 0 {
                    let input = stock_input("Jibu", "12kg", "Kigali", 20 + n, 15_000);
                    core.upsert_stock_item(&seller, &input).await.map(|_| ()).unwrap();
                } else {
                    let buyer = user(&core, Role::Buyer, &format!("racer{n}")).await;
                    let _ = core.place_order(&buyer, &order_input(it.id, 1), None).await;
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let lines = balanced(&core, it.id).await;
        assert!(lines.iter().filter(|m| m.reason == MovementReason::Upsert).count() >= 1);
        assert!(lines.iter().filter(|m| m.reason == MovementReason::Placed).count() >= 1);
    })
    .await;
}
