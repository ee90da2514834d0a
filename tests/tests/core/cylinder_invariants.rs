//! Random sequences of cylinder operations (restocks with deposits, refill and new orders
//! and their decisions and deliveries, refills, adjustments, returns and their settlement),
//! checked against a model and against the invariants after every step, on both backends:
//! - full and empty counts are never negative, match the model, and equal the sum of the
//!   item's ledger deltas;
//! - every ledger line names the right cause (each order has its `placed` line, a rejected or
//!   cancelled order its line giving the stock back, a delivered refill its `delivered` line);
//! - each deposit balance = deposits of delivered new orders - those released by settled
//!   returns, never negative, `pending` = the pending returns; no buyer is ever refunded more
//!   than they paid in deposits.

use std::collections::HashMap;

use gasstock_core::commands::{
    AdjustmentInput, OrderInput, PageRequest, RefillInput, ReturnDecision, ReturnInput, StockItemInput,
};
use gasstock_core::domain::{AdjustmentReason, MovementReason, OrderKind, OrderStatus, ReturnStatus, Role};
use gasstock_core::store::release;
use gasstock_core::{Actor, Error, Gasstock};
use gasstock_tests::fixtures::{approve, invoice, reject, stock_input, user};
use gasstock_tests::{Backend, TestDb};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Restock { slot: usize, quantity: i64, deposit: i64 },
    Place { buyer: usize, item: usize, quantity: i64, new: bool },
    Decide { order: usize, approve: bool },
    Cancel { order: usize },
    Deliver { order: usize },
    Refill { item: usize, quantity: i64 },
    Adjust { item: usize, full: i64, empty: i64 },
    Return { buyer: usize, item: usize, quantity: i64 },
    Settle { ret: usize, accept: bool, damaged: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0..2usize, 0..10i64, 0..500i64).prop_map(|(slot, quantity, deposit)| Op::Restock { slot, quantity, deposit }),
        5 => (0..2usize, 0..4usize, 1..5i64, any::<bool>()).prop_map(|(buyer, item, quantity, new)| Op::Place { buyer, item, quantity, new }),
        2 => (0..8usize, prop::bool::weighted(0.7)).prop_map(|(order, approve)| Op::Decide { order, approve }),
        1 => (0..8usize).prop_map(|order| Op::Cancel { order }),
        4 => (0..8usize).prop_map(|order| Op::Deliver { order }),
        2 => (0..4usize, 1..4i64).prop_map(|(item, quantity)| Op::Refill { item, quantity }),
        2 => (0..4usize, -3..4i64, -3..4i64).prop_map(|(item, full, empty)| Op::Adjust { item, full, empty }),
        4 => (0..2usize, 0..4usize, 1..4i64).prop_map(|(buyer, item, quantity)| Op::Return { buyer, item, quantity }),
        3 => (0..6usize, prop::bool::weighted(0.8), 0..3i64).prop_map(|(ret, accept, damaged)| Op::Settle { ret, accept, damaged }),
    ]
}

#[derive(Debug, Default, Clone, Copy)]
struct ItemModel {
    id: i64,
    quantity: i64,
    empties: i64,
    deposit: i64,
}

#[derive(Debug, Clone, Copy)]
struct OrderModel {
    id: i64,
    buyer: usize,
    item: usize,
    quantity: i64,
    kind: OrderKind,
    deposit_amount: i64,
    status: OrderStatus,
}

#[derive(Debug, Clone, Copy)]
struct ReturnModel {
    id: i64,
    buyer: usize,
    item: usize,
    quantity: i64,
    status: ReturnStatus,
}

/// A buyer's deposits for one item: cylinders, money, cylinders promised to pending returns.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Held {
    cylinders: i64,
    amount: i64,
    pending: i64,
}

struct World {
    core: Gasstock,
    seller: Actor,
    buyers: Vec<Actor>,
    admin: Actor,
    items: Vec<ItemModel>,
    orders: Vec<OrderModel>,
    returns: Vec<ReturnModel>,
    held: HashMap<(usize, usize), Held>,
    paid: HashMap<usize, i64>,
    refunded: HashMap<usize, i64>,
}

fn ok_or_conflict<T: std::fmt::Debug>(result: &Result<T, Error>, expect_ok: bool, op: &Op) {
    match result {
        Ok(_) => assert!(expect_ok, "{op:?} succeeded against the model"),
        Err(Error::Conflict { .. }) => assert!(!expect_ok, "{op:?} refused: {result:?}"),
        Err(other) => panic!("{op:?}: unexpected {other:?}"),
    }
}

impl World {
    async fn apply(&mut self, op: &Op) {
        let core = self.core.clone();
        let item_at = |n: usize, items: &[ItemModel]| (!items.is_empty()).then(|| n % items.len());
        match *op {
            Op::Restock { slot, quantity, deposit } => {
                let input = StockItemInput {
                    deposit: Some(deposit),
                    ..stock_input(&format!("B{slot}"), "12kg", "Kigali", quantity, 100)
                };
                let (item, _) = core.upsert_stock_item(&self.seller, &input).await.expect("restock");
                match self.items.iter_mut().find(|i| i.id == item.id) {
                    Some(model) => (model.quantity, model.deposit) = (quantity, deposit),
                    None => self.items.push(ItemModel { id: item.id, quantity, empties: 0, deposit }),
                }
            }
            Op::Place { buyer, item, quantity, new } => {
                let Some(i) = item_at(item, &self.items) else { return };
                let kind = if new { OrderKind::New } else { OrderKind::Refill };
                let input = OrderInput {
                    inventory_id: self.items[i].id,
                    quantity,
                    delivery_address: None,
                    note: None,
                    kind: Some(kind),
                    payment_method: None,
                    payer_phone: None,
                    delivery_district: None,
                };
                let result = core.place_order(&self.buyers[buyer], &input, None).await;
                ok_or_conflict(&result, self.items[i].quantity >= quantity, op);
                if let Ok((order, _)) = result {
                    let deposit_amount = if new { quantity * self.items[i].deposit } else { 0 };
                    assert_eq!(
                        (order.deposit_amount, order.total_amount),
                        (deposit_amount, quantity * 100 + deposit_amount)
                    );
                    self.items[i].quantity -= quantity;
                    self.orders.push(OrderModel {
                        id: order.id,
                        buyer,
                        item: i,
                        quantity,
                        kind,
                        deposit_amount,
                        status: OrderStatus::Pending,
                    });
                }
            }
            Op::Decide { order, approve: yes } => {
                let Some(o) = (!self.orders.is_empty()).then(|| order % self.orders.len()) else { return };
                let decision = if yes { approve() } else { reject("model") };
                let result = core.decide_order(&self.admin, self.orders[o].id, &decision).await;
                ok_or_conflict(&result, self.orders[o].status == OrderStatus::Pending, op);
                if result.is_ok() {
                    self.orders[o].status =
                        if yes { OrderStatus::Approved } else { self.give_back(o, OrderStatus::Rejected) };
                }
            }
            Op::Cancel { order } => {
                let Some(o) = (!self.orders.is_empty()).then(|| order % self.orders.len()) else { return };
                let result = core.cancel_order(&self.buyers[self.orders[o].buyer], self.orders[o].id).await;
                ok_or_conflict(&result, self.orders[o].status == OrderStatus::Pending, op);
                if result.is_ok() {
                    self.orders[o].status = self.give_back(o, OrderStatus::Cancelled);
                }
            }
            Op::Deliver { order } => {
                let Some(o) = (!self.orders.is_empty()).then(|| order % self.orders.len()) else { return };
                let model = self.orders[o];
                let result = core.submit_invoice(&self.seller, &invoice(model.id, None)).await;
                ok_or_conflict(&result, model.status == OrderStatus::Approved, op);
                let Ok(bill) = result else { return };
                assert_eq!(bill.deposit_amount, model.deposit_amount);
                core.decide_invoice(&self.admin, bill.id, &approve()).await.expect("approve invoice");
                core.confirm_delivery(&self.admin, model.id).await.expect("deliver");
                self.orders[o].status = OrderStatus::Delivered;
                match model.kind {
                    OrderKind::Refill => self.items[model.item].empties += model.quantity,
                    OrderKind::New => {
                        let held = self.held.entry((model.buyer, model.item)).or_default();
                        (held.cylinders, held.amount) =
                            (held.cylinders + model.quantity, held.amount + model.deposit_amount);
                        *self.paid.entry(model.buyer).or_default() += model.deposit_amount;
                    }
                }
            }
            Op::Refill { item, quantity } => {
                let Some(i) = item_at(item, &self.items) else { return };
                let result = core.refill(&self.seller, self.items[i].id, &RefillInput { quantity, note: None }).await;
                ok_or_conflict(&result, self.items[i].empties >= quantity, op);
                if result.is_ok() {
                    (self.items[i].quantity, self.items[i].empties) =
                        (self.items[i].quantity + quantity, self.items[i].empties - quantity);
                }
            }
            Op::Adjust { item, full, empty } => {
                let Some(i) = item_at(item, &self.items) else { return };
                if full == 0 && empty == 0 {
                    return;
                }
                let input = AdjustmentInput {
                    full_delta: full,
                    empty_delta: empty,
                    reason: AdjustmentReason::Correction,
                    note: None,
                };
                let result = core.adjust_stock(&self.admin, self.items[i].id, &input).await;
                let fits = self.items[i].quantity + full >= 0 && self.items[i].empties + empty >= 0;
                ok_or_conflict(&result, fits, op);
                if result.is_ok() {
                    (self.items[i].quantity, self.items[i].empties) =
                        (self.items[i].quantity + full, self.items[i].empties + empty);
                }
            }
            Op::Return { buyer, item, quantity } => {
                let Some(i) = item_at(item, &self.items) else { return };
                let result = core
                    .create_return(&self.buyers[buyer], &ReturnInput { inventory_id: self.items[i].id, quantity })
                    .await;
                let held = self.held.entry((buyer, i)).or_default();
                ok_or_conflict(&result, held.cylinders - held.pending >= quantity, op);
                if let Ok(r) = result {
                    held.pending += quantity;
                    self.returns.push(ReturnModel {
                        id: r.id,
                        buyer,
                        item: i,
                        quantity,
                        status: ReturnStatus::Pending,
                    });
                }
            }
            Op::Settle { ret, accept, damaged } => {
                let Some(r) = (!self.returns.is_empty()).then(|| ret % self.returns.len()) else { return };
                let model = self.returns[r];
                let damaged = damaged.min(model.quantity);
                let decision = ReturnDecision { accept, good: None, damaged: accept.then_some(damaged) };
                let result = core.settle_return(&self.admin, model.id, &decision).await;
                ok_or_conflict(&result, model.status == ReturnStatus::Pending, op);
                let Ok(settled) = result else { return };
                let held = self.held.entry((model.buyer, model.item)).or_default();
                held.pending -= model.quantity;
                if !accept {
                    self.returns[r].status = ReturnStatus::Rejected;
                    return;
                }
                self.returns[r].status = ReturnStatus::Accepted;
                let (released, refund) = release(held.amount, held.cylinders, model.quantity, damaged);
                assert_eq!((settled.deposit_released, settled.refund_amount), (released, refund), "{op:?}");
                (held.cylinders, held.amount) = (held.cylinders - model.quantity, held.amount - released);
                *self.refunded.entry(model.buyer).or_default() += refund;
                self.items[model.item].empties += model.quantity - damaged;
            }
        }
    }

    fn give_back(&mut self, o: usize, to: OrderStatus) -> OrderStatus {
        self.items[self.orders[o].item].quantity += self.orders[o].quantity;
        to
    }

    /// Reads the database back and checks every invariant.
    async fn check(&self) {
        let store = self.core.store();
        let all = PageRequest::new(None, Some(100)).unwrap();
        for (i, model) in self.items.iter().enumerate() {
            let item = store.get_stock_item(model.id).await.unwrap().unwrap();
            assert_eq!((item.quantity, item.empties), (model.quantity, model.empties), "item {i}");
            assert!(item.quantity >= 0 && item.empties >= 0);
            let lines = store.list_movements(model.id, all).await.unwrap();
            assert!(lines.total <= 100, "the check reads one page");
            let sum = |f: fn(&gasstock_core::models::StockMovement) -> i64| lines.items.iter().map(f).sum::<i64>();
            assert_eq!(
                (sum(|m| m.full_delta), sum(|m| m.empty_delta)),
                (item.quantity, item.empties),
                "ledger of item {i}"
            );
            for order in self.orders.iter().filter(|o| o.item == i) {
                let of_order: Vec<_> = lines
                    .items
                    .iter()
                    .filter(|m| m.order_id == Some(order.id))
                    .map(|m| (m.reason, m.full_delta, m.empty_delta))
                    .collect();
                let mut expected = vec![(MovementReason::Placed, -order.quantity, 0)];
                match (order.status, order.kind) {
                    (OrderStatus::Rejected, _) => expected.insert(0, (MovementReason::Rejected, order.quantity, 0)),
                    (OrderStatus::Cancelled, _) => expected.insert(0, (MovementReason::Cancelled, order.quantity, 0)),
                    (OrderStatus::Delivered, OrderKind::Refill) => {
                        expected.insert(0, (MovementReason::Delivered, 0, order.quantity))
                    }
                    _ => {}
                }
                assert_eq!(of_order, expected, "ledger lines of order {order:?}");
            }
        }
        let deposits = self.core.deposits(&self.admin, Default::default()).await.unwrap();
        let all_entries = gasstock_tests::fixtures::all_deposit_entries(&self.core, &self.admin).await;
        for b in &deposits.balances {
            let buyer = self.buyers.iter().position(|a| a.user_id == b.buyer_id).unwrap();
            let item = self.items.iter().position(|i| i.id == b.inventory_id).unwrap();
            let model = self.held.get(&(buyer, item)).copied().unwrap_or_default();
            assert_eq!(Held { cylinders: b.cylinders, amount: b.amount, pending: b.pending }, model, "balance {b:?}");
            assert!(b.amount >= 0 && b.cylinders >= 0 && b.pending <= b.cylinders);
            let entries: i64 = all_entries
                .iter()
                .filter(|e| (e.buyer_id, e.inventory_id) == (b.buyer_id, b.inventory_id))
                .map(|e| e.amount)
                .sum();
            assert_eq!(entries, b.amount, "entries add up to the balance");
        }
        let modelled = self.held.values().filter(|h| h.cylinders > 0 || h.amount > 0).count();
        assert!(deposits.balances.len() >= modelled);
        for (buyer, refunded) in &self.refunded {
            assert!(*refunded <= self.paid.get(buyer).copied().unwrap_or(0), "buyer {buyer} refunded more than paid");
        }
        let returns = self.core.returns(&self.admin, all).await.unwrap();
        let paid_back: i64 = returns.items.iter().map(|r| r.refund_amount).sum();
        assert_eq!(paid_back, self.refunded.values().sum::<i64>());
        assert!(returns.items.iter().all(|r| r.refund_amount <= r.deposit_released));
    }
}

async fn run_sequence(backend: Backend, ops: Vec<Op>) {
    let db = TestDb::new(backend).await;
    let core = Gasstock::new(db.store(2).await);
    let seller = user(&core, Role::Seller, "s0").await;
    let buyers = vec![user(&core, Role::Buyer, "b0").await, user(&core, Role::Buyer, "b1").await];
    let admin = user(&core, Role::Admin, "admin").await;
    let mut world = World {
        core,
        seller,
        buyers,
        admin,
        items: Vec::new(),
        orders: Vec::new(),
        returns: Vec::new(),
        held: HashMap::new(),
        paid: HashMap::new(),
        refunded: HashMap::new(),
    };
    for op in &ops {
        world.apply(op).await;
        world.check().await;
    }
}

fn cases() -> u32 {
    std::env::var("GASSTOCK_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24)
}

fn run(backend: Backend, ops: Vec<Op>) {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(run_sequence(backend, ops));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_cylinder_workflows_keep_the_ledger_and_deposits_right_on_sqlite(ops in proptest::collection::vec(op(), 1..45)) {
        run(Backend::Sqlite, ops);
    }

    #[test]
    fn random_cylinder_workflows_keep_the_ledger_and_deposits_right_on_postgres(ops in proptest::collection::vec(op(), 1..45)) {
        if Backend::available().contains(&Backend::Postgres) {
            run(Backend::Postgres, ops);
        }
    }
}
