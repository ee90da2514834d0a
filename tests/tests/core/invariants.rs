//! Random sequences of operations by random actors, checked against a model and against the
//! invariants after every step: stock never negative and conserved, at most one payment per
//! order and only for delivered orders, amounts consistent, only legal status paths.

use std::collections::HashMap;

use gasstock_core::commands::{FeedbackInput, PageRequest, StockFilter};
use gasstock_core::domain::{is_legal_order_path, OrderStatus, Role};
use gasstock_core::{Actor, Error, Gasstock};
use gasstock_tests::fixtures::{approve, invoice, order_input, order_path, reject, stock_input, user};
use gasstock_tests::{Backend, PaymentFacts, TestDb};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Restock { seller: usize, slot: usize, quantity: i64, price: i64 },
    Place { buyer: usize, item: usize, quantity: i64, key: Option<u8> },
    Cancel { buyer: usize, order: usize },
    Decide { order: usize, approve: bool },
    Invoice { seller: usize, order: usize, fee: i64 },
    DecideInvoice { order: usize, approve: bool },
    Confirm { order: usize },
    Feedback { buyer: usize, order: usize, rating: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..2usize, 0..3usize, 0..12i64, 1..500i64).prop_map(|(seller, slot, quantity, price)| Op::Restock { seller, slot, quantity, price }),
        5 => (0..2usize, 0..6usize, 1..6i64, proptest::option::of(0..3u8)).prop_map(|(buyer, item, quantity, key)| Op::Place { buyer, item, quantity, key }),
        1 => (0..2usize, 0..8usize).prop_map(|(buyer, order)| Op::Cancel { buyer, order }),
        3 => (0..8usize, any::<bool>()).prop_map(|(order, approve)| Op::Decide { order, approve }),
        3 => (0..2usize, 0..8usize, 0..100i64).prop_map(|(seller, order, fee)| Op::Invoice { seller, order, fee }),
        3 => (0..8usize, any::<bool>()).prop_map(|(order, approve)| Op::DecideInvoice { order, approve }),
        3 => (0..8usize).prop_map(|order| Op::Confirm { order }),
        1 => (0..2usize, 0..8usize, 0..7i64).prop_map(|(buyer, order, rating)| Op::Feedback { buyer, order, rating }),
    ]
}

/// What the model expects of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    NotFound,
    Conflict,
    Invalid,
}

fn outcome<T>(result: &Result<T, Error>) -> Outcome {
    match result {
        Ok(_) => Outcome::Ok,
        Err(Error::NotFound { .. }) => Outcome::NotFound,
        Err(Error::Conflict { .. }) => Outcome::Conflict,
        Err(Error::Invalid { .. }) => Outcome::Invalid,
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

#[derive(Debug)]
struct ItemModel {
    id: i64,
    seller: usize,
    slot: usize,
    on_hand: i64,
    supplied: i64,
}

#[derive(Debug)]
struct OrderModel {
    id: i64,
    buyer: usize,
    item: usize,
    quantity: i64,
    key: Option<u8>,
    status: OrderStatus,
    /// (invoice id, approved?, pending?)
    invoice: Option<(i64, bool, bool)>,
    feedback: bool,
}

struct World {
    core: Gasstock,
    sellers: Vec<Actor>,
    buyers: Vec<Actor>,
    admin: Actor,
    items: Vec<ItemModel>,
    orders: Vec<OrderModel>,
}

impl World {
    async fn apply(&mut self, op: &Op) {
        let core = self.core.clone();
        match *op {
            Op::Restock { seller, slot, quantity, price } => {
                let input = stock_input(&format!("Brand{slot}"), "12kg", "Kigali", quantity, price);
                let (item, _) = core.upsert_stock_item(&self.sellers[seller], &input).await.expect("restock");
                match self.items.iter_mut().find(|i| i.seller == seller && i.slot == slot) {
                    Some(model) => {
                        model.supplied += quantity - model.on_hand;
                        model.on_hand = quantity;
                    }
                    None => {
                        self.items.push(ItemModel { id: item.id, seller, slot, on_hand: quantity, supplied: quantity })
                    }
                }
            }
            Op::Place { buyer, item, quantity, key } => {
                let Some(index) = (!self.items.is_empty()).then(|| item % self.items.len()) else { return };
                let key_text = key.map(|k| format!("key-{k}"));
                let result = core
                    .place_order(&self.buyers[buyer], &order_input(self.items[index].id, quantity), key_text.as_deref())
                    .await;
                let earlier = key.and_then(|k| self.orders.iter().find(|o| o.buyer == buyer && o.key == Some(k)));
                let expected = match earlier {
                    Some(first) if first.item == index && first.quantity == quantity => Outcome::Ok,
                    Some(_) => Outcome::Conflict,
                    None if self.items[index].on_hand >= quantity => Outcome::Ok,
                    None => Outcome::Conflict,
                };
                assert_eq!(outcome(&result), expected, "{op:?} -> {result:?}");
                if let Ok((order, true)) = result {
                    assert!(earlier.is_none(), "a retry must not create a second order");
                    self.items[index].on_hand -= quantity;
                    self.orders.push(OrderModel {
                        id: order.id,
                        buyer,
                        item: index,
                        quantity,
                        key,
                        status: OrderStatus::Pending,
                        invoice: None,
                        feedback: false,
                    });
                }
            }
            Op::Cancel { buyer, order } => {
                let Some(o) = self.pick(order) else { return };
                let result = core.cancel_order(&self.buyers[buyer], self.orders[o].id).await;
                let expected = if self.orders[o].buyer != buyer {
                    Outcome::NotFound
                } else if self.orders[o].status == OrderStatus::Pending {
                    Outcome::Ok
                } else {
                    Outcome::Conflict
                };
                assert_eq!(outcome(&result), expected, "{op:?} -> {result:?}");
                if result.is_ok() {
                    self.release(o, OrderStatus::Cancelled);
                }
            }
            Op::Decide { order, approve: yes } => {
                let Some(o) = self.pick(order) else { return };
                let decision = if yes { approve() } else { reject("model") };
                let result = core.decide_order(&self.admin, self.orders[o].id, &decision).await;
                let expected =
                    if self.orders[o].status == OrderStatus::Pending { Outcome::Ok } else { Outcome::Conflict };
                assert_eq!(outcome(&result), expected, "{op:?} -> {result:?}");
                if result.is_ok() {
                    if yes {
                        self.orders[o].status = OrderStatus::Approved;
                    } else {
                        self.release(o, OrderStatus::Rejected);
                    }
                }
            }
            Op::Invoice { seller, order, fee } => {
                let Some(o) = self.pick(order) else { return };
                let result = core.submit_invoice(&self.sellers[seller], &invoice(self.orders[o].id, Some(fee))).await;
                let expected = if self.items[self.orders[o].item].seller != seller {
                    Outcome::NotFound
                } else if self.orders[o].status == OrderStatus::Approved {
                    Outcome::Ok
                } else {
                    Outcome::Conflict
                };
                assert_eq!(outcome(&result), expected, "{op:?} -> {result:?}");
                if let Ok(bill) = result {
                    let order = core.store().get_order(self.orders[o].id).await.unwrap().unwrap();
                    assert_eq!(bill.amount, order.total_amount + fee, "amount = quantity x frozen price + fee");
                    self.orders[o].status = OrderStatus::Invoiced;
                    self.orders[o].invoice = Some((bill.id, false, true));
                }
            }
            Op::DecideInvoice { order, approve: yes } => {
                let Some(o) = self.pick(order) else { return };
                let Some((invoice_id, _, pending)) = self.orders[o].invoice else { return };
                let decision = if yes { approve() } else { reject("model") };
                let result = core.decide_invoice(&self.admin, invoice_id, &decision).await;
                assert_eq!(
                    outcome(&result),
                    if pending { Outcome::Ok } else { Outcome::Conflict },
                    "{op:?} -> {result:?}"
                );
                if result.is_ok() {
                    self.orders[o].invoice = Some((invoice_id, yes, false));
                    if !yes {
                        self.orders[o].status = OrderStatus::Approved;
                    }
                }
            }
            Op::Confirm { order } => {
                let Some(o) = self.pick(order) else { return };
                let result = core.confirm_delivery(&self.admin, self.orders[o].id).await;
                let ready = self.orders[o].status == OrderStatus::Invoiced
                    && matches!(self.orders[o].invoice, Some((_, true, _)));
                assert_eq!(
                    outcome(&result),
                    if ready { Outcome::Ok } else { Outcome::Conflict },
                    "{op:?} -> {result:?}"
                );
                if result.is_ok() {
                    self.orders[o].status = OrderStatus::Delivered;
                }
            }
            Op::Feedback { buyer, order, rating } => {
                let Some(o) = self.pick(order) else { return };
                let input = FeedbackInput { order_id: self.orders[o].id, rating, comment: None };
                let result = core.leave_feedback(&self.buyers[buyer], &input).await;
                let model = &self.orders[o];
                let expected = if !(1..=5).contains(&rating) {
                    Outcome::Invalid
                } else if model.buyer != buyer {
                    Outcome::NotFound
                } else if model.status == OrderStatus::Delivered && !model.feedback {
                    Outcome::Ok
                } else {
                    Outcome::Conflict
                };
                assert_eq!(outcome(&result), expected, "{op:?} -> {result:?}");
                if result.is_ok() {
                    self.orders[o].feedback = true;
                }
            }
        }
    }

    fn pick(&self, n: usize) -> Option<usize> {
        (!self.orders.is_empty()).then(|| n % self.orders.len())
    }

    fn release(&mut self, o: usize, to: OrderStatus) {
        self.orders[o].status = to;
        let (item, quantity) = (self.orders[o].item, self.orders[o].quantity);
        self.items[item].on_hand += quantity;
    }

    /// Reads the whole database back and checks every invariant against it.
    async fn check(&self, db: &TestDb) {
        let store = self.core.store();
        let all = PageRequest::new(None, Some(100)).unwrap();
        let items = store.list_stock(StockFilter { in_stock_only: false, ..Default::default() }, all).await.unwrap();
        let orders = store.list_orders(Default::default(), all).await.unwrap();
        assert_eq!(items.total as usize, self.items.len());
        assert_eq!(orders.total as usize, self.orders.len());

        let mut held: HashMap<i64, i64> = HashMap::new();
        for order in &orders.items {
            if order.status.holds_stock() {
                *held.entry(order.inventory_id).or_default() += order.quantity;
            }
            let model = self.orders.iter().find(|m| m.id == order.id).expect("order in model");
            assert_eq!(order.status, model.status, "order {}", order.id);
            let path = order_path(store, order.id).await;
            assert!(is_legal_order_path(&path), "order {} took an illegal path {path:?}", order.id);
            assert_eq!(path.last(), Some(&order.status), "the last event is the current status");
        }
        for item in &items.items {
            let model = self.items.iter().find(|m| m.id == item.id).expect("item in model");
            assert!(item.quantity >= 0, "negative stock");
            assert_eq!(item.quantity, model.on_hand, "item {}", item.id);
            assert_eq!(
                model.supplied,
                item.quantity + held.get(&item.id).copied().unwrap_or(0),
                "stock not conserved for item {}",
                item.id
            );
        }

        let payments = db.payment_facts().await;
        payments.iter().for_each(PaymentFacts::assert_consistent);
        let delivered = self.orders.iter().filter(|o| o.status == OrderStatus::Delivered).count();
        assert_eq!(payments.len(), delivered, "one payment per delivered order");
    }
}

async fn run_sequence(backend: Backend, ops: Vec<Op>) {
    let db = TestDb::new(backend).await;
    let core = Gasstock::new(db.store(2).await);
    let sellers = vec![user(&core, Role::Seller, "s0").await, user(&core, Role::Seller, "s1").await];
    let buyers = vec![user(&core, Role::Buyer, "b0").await, user(&core, Role::Buyer, "b1").await];
    let admin = user(&core, Role::Admin, "admin").await;
    let mut world = World { core, sellers, buyers, admin, items: Vec::new(), orders: Vec::new() };
    for op in &ops {
        world.apply(op).await;
        world.check(&db).await;
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
    fn random_workflows_keep_every_invariant_on_sqlite(ops in proptest::collection::vec(op(), 1..40)) {
        run(Backend::Sqlite, ops);
    }

    #[test]
    fn random_workflows_keep_every_invariant_on_postgres(ops in proptest::collection::vec(op(), 1..40)) {
        if Backend::available().contains(&Backend::Postgres) {
            run(Backend::Postgres, ops);
        }
    }
}
