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
    Restock {
        seller: usize,
        slot: usize,
        quantity: i64,
        price: i64,
    },
    Place {
        buyer: usize,
        item: usize,
        quantity: i64,
        key: Option<u8>,
    },
    Cancel {
        buyer: usize,
        order: usize,
    },
    Decide {
        order: usize,
        approve: bool,
    },
    Invoice {
        seller: usize,
        order: usize,
        fee: i64,
    },
    DecideInvoice {
        order: usize,
        approve: bool,
    },
    Confirm {
        order: usize,
    },
    Feedback {
        buyer: usize,
        order: usize,
        rating: i64,
    },
    /// Dispatch (issue 13): see `delivery_op` and `World::apply_delivery`.
    Delivery(DeliveryOp),
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
        6 => delivery_op().prop_map(Op::Delivery),
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
    delivery: Deliveries,
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
            Op::Delivery(delivery) => self.apply_delivery(delivery).await,
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
    let delivery = Deliveries::new(&core, &sellers).await;
    let mut world = World { core, sellers, buyers, admin, items: Vec::new(), orders: Vec::new(), delivery };
    for op in &ops {
        world.apply(op).await;
        world.check(&db).await;
    }
}

// --- dispatch (issue 13): drivers, handover codes, failed deliveries -------------------------

#[derive(Debug, Clone, Copy)]
enum DeliveryOp {
    Dispatch { seller: usize, order: usize, driver: usize },
    Handover { order: usize, driver: usize, right: bool },
    Fail { order: usize, driver: usize },
    CancelFailed { seller: usize, order: usize },
}

fn delivery_op() -> impl Strategy<Value = DeliveryOp> {
    prop_oneof![
        3 => (0..2usize, 0..8usize, 0..3usize).prop_map(|(seller, order, driver)| DeliveryOp::Dispatch { seller, order, driver }),
        4 => (0..8usize, 0..3usize, any::<bool>()).prop_map(|(order, driver, right)| DeliveryOp::Handover { order, driver, right }),
        1 => (0..8usize, 0..3usize).prop_map(|(order, driver)| DeliveryOp::Fail { order, driver }),
        1 => (0..2usize, 0..8usize).prop_map(|(seller, order)| DeliveryOp::CancelFailed { seller, order }),
    ]
}

/// Three drivers (two of seller 0, one of seller 1), and per order (by model index) the
/// driver of its live dispatch and the wrong codes it took.
#[derive(Debug)]
struct Deliveries {
    drivers: Vec<(Actor, usize)>,
    live: HashMap<usize, (usize, i64)>,
}

impl Deliveries {
    async fn new(core: &Gasstock, sellers: &[Actor]) -> Deliveries {
        let mut drivers = Vec::new();
        for (n, seller) in [0usize, 0, 1].into_iter().enumerate() {
            let record = gasstock_core::store::NewUserRecord {
                email: format!("d{n}@example.rw"),
                name: format!("d{n}"),
                role: Role::Driver,
                phone: None,
                location: None,
                password_hash: gasstock_core::domain::dummy_hash().to_owned(),
            };
            let driver = core.store().insert_driver(record, sellers[seller].user_id).await.expect("driver");
            drivers.push((Actor::new(driver.id, Role::Driver), seller));
        }
        Deliveries { drivers, live: HashMap::new() }
    }
}

impl World {
    async fn apply_delivery(&mut self, op: DeliveryOp) {
        use gasstock_core::commands::driver::{CompleteInput, DispatchInput, FailInput};
        use gasstock_core::domain::MAX_WRONG_CODES;
        let core = self.core.clone();
        match op {
            DeliveryOp::Dispatch { seller, order, driver } => {
                let Some(o) = self.pick(order) else { return };
                let (driver_actor, driver_seller) = self.delivery.drivers[driver];
                let input = DispatchInput { driver_id: driver_actor.user_id };
                let result = core.dispatch(&self.sellers[seller], self.orders[o].id, &input).await;
                let model = &self.orders[o];
                let locked = self.delivery.live.get(&o).is_some_and(|(_, wrong)| *wrong >= MAX_WRONG_CODES);
                // Another seller's order, or another seller's driver: as if it did not exist.
                let expected = if self.items[model.item].seller != seller || driver_seller != seller {
                    Outcome::NotFound
                } else if (model.status == OrderStatus::Invoiced && matches!(model.invoice, Some((_, true, _))))
                    || model.status == OrderStatus::Failed
                    || (model.status == OrderStatus::OutForDelivery && locked)
                {
                    Outcome::Ok
                } else {
                    Outcome::Conflict
                };
                assert_eq!(outcome(&result), expected, "{op:?} -> {result:?}");
                if result.is_ok() {
                    self.orders[o].status = OrderStatus::OutForDelivery;
                    self.delivery.live.insert(o, (driver, 0));
                }
            }
            DeliveryOp::Handover { order, driver, right } => {
                let Some(o) = self.pick(order) else { return };
                let buyer = self.buyers[self.orders[o].buyer];
                let view = core.order_view(&buyer, self.orders[o].id).await.expect("buyer's order");
                let live_code = view.handover_code.clone();
                assert_eq!(live_code.is_some(), self.orders[o].status == OrderStatus::OutForDelivery, "{view:?}");
                let code = live_code.unwrap_or_else(|| "000000".into());
                let code = if right { code } else { format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000) };
                let actor = self.delivery.drivers[driver].0;
                let result = core
                    .complete_delivery(&actor, self.orders[o].id, &CompleteInput { code, empties_received: None })
                    .await;
                let live = self.delivery.live.get(&o).copied();
                let expected = match live {
                    Some((assigned, _)) if assigned != driver => Outcome::NotFound,
                    None => Outcome::NotFound,
                    Some(_) if self.orders[o].status != OrderStatus::OutForDelivery => Outcome::Conflict,
                    Some((_, wrong)) if wrong >= MAX_WRONG_CODES => Outcome::Conflict,
                    Some(_) if right => Outcome::Ok,
                    Some(_) => Outcome::Invalid,
                };
                assert_eq!(outcome(&result), expected, "{op:?} -> {result:?}");
                if expected == Outcome::Ok {
                    self.orders[o].status = OrderStatus::Delivered;
                } else if let (Outcome::Invalid, Some((_, wrong))) = (expected, self.delivery.live.get_mut(&o)) {
                    *wrong += 1;
                }
            }
            DeliveryOp::Fail { order, driver } => {
                let Some(o) = self.pick(order) else { return };
                let actor = self.delivery.drivers[driver].0;
                let input = FailInput { reason: "model".into() };
                let result = core.fail_delivery(&actor, self.orders[o].id, &input).await;
                let expected = match self.delivery.live.get(&o) {
                    Some((assigned, _)) if *assigned == driver => {
                        if self.orders[o].status == OrderStatus::OutForDelivery {
                            Outcome::Ok
                        } else {
                            Outcome::Conflict
                        }
                    }
                    _ => Outcome::NotFound,
                };
                assert_eq!(outcome(&result), expected, "{op:?} -> {result:?}");
                if result.is_ok() {
                    self.orders[o].status = OrderStatus::Failed;
                }
            }
            DeliveryOp::CancelFailed { seller, order } => {
                let Some(o) = self.pick(order) else { return };
                let input = FailInput { reason: "model".into() };
                let result = core.cancel_failed_delivery(&self.sellers[seller], self.orders[o].id, &input).await;
                let expected = if self.items[self.orders[o].item].seller != seller {
                    Outcome::NotFound
                } else if self.orders[o].status == OrderStatus::Failed {
                    Outcome::Ok
                } else {
                    Outcome::Conflict
                };
                assert_eq!(outcome(&result), expected, "{op:?} -> {result:?}");
                if result.is_ok() {
                    self.release(o, OrderStatus::Cancelled);
                }
            }
        }
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
