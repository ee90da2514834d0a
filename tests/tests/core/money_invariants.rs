//! proptest on both backends, against the MoMo sandbox over HTTP: random sequences of
//! mobile-money orders, provider outcomes (success, failure, 500s), collector, payer and
//! expiry rounds, deliveries and retries, with a random commission. After every step, per
//! order: collected = payout + commission, nothing negative, at most one collection taken,
//! at most one payout, paid once (the sandbox's successful transfers), nothing collected or
//! paid for an expired order.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use gasstock_core::commands::OrderInput;
use gasstock_core::domain::{OrderKind, PaymentMethod, Role};
use gasstock_core::payments::{
    Collector, CollectorConfig, Expirer, ExpiryConfig, MomoConfig, MomoProvider, Payer, PayoutConfig,
};
use gasstock_core::{Actor, Gasstock};
use gasstock_momo_sandbox::{Behaviour, Sandbox, SandboxConfig};
use gasstock_tests::fixtures::{approve, invoice, order_input, stock_input, user};
use gasstock_tests::{Backend, TestDb};
use proptest::prelude::*;

const BUYER_PARTY: &str = "250788123456";
const SELLER_PARTY: &str = "250788654321";

#[derive(Debug, Clone)]
enum Op {
    /// `new`: a new-cylinder sale, whose deposit the marketplace keeps (never paid out).
    Place {
        quantity: i64,
        new: bool,
    },
    /// One step forward along the whole pipeline (approve, invoice, approve the invoice, deliver).
    Advance {
        order: usize,
    },
    Approve {
        order: usize,
    },
    Invoice {
        order: usize,
        fee: i64,
    },
    ApproveInvoice {
        order: usize,
    },
    Script {
        buyer: u8,
        seller: u8,
    },
    Collect,
    Pay,
    Deliver {
        order: usize,
    },
    RetryPayment {
        order: usize,
    },
    RetryPayout {
        order: usize,
    },
    Expire,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (1..4i64, any::<bool>()).prop_map(|(quantity, new)| Op::Place { quantity, new }),
        8 => (0..3usize).prop_map(|order| Op::Advance { order }),
        3 => (0..5usize).prop_map(|order| Op::Approve { order }),
        3 => (0..5usize, 0..700i64).prop_map(|(order, fee)| Op::Invoice { order, fee }),
        3 => (0..5usize).prop_map(|order| Op::ApproveInvoice { order }),
        2 => (0..3u8, 0..3u8).prop_map(|(buyer, seller)| Op::Script { buyer, seller }),
        4 => Just(Op::Collect),
        4 => Just(Op::Pay),
        3 => (0..5usize).prop_map(|order| Op::Deliver { order }),
        1 => (0..5usize).prop_map(|order| Op::RetryPayment { order }),
        1 => (0..5usize).prop_map(|order| Op::RetryPayout { order }),
        1 => Just(Op::Expire),
    ]
}

fn behaviour(kind: u8) -> Behaviour {
    match kind {
        0 => Behaviour::success(),
        1 => Behaviour::failure("NOT_ENOUGH_FUNDS"),
        _ => Behaviour::success().errors_first(1),
    }
}

struct World {
    core: Gasstock,
    buyer: Actor,
    seller: Actor,
    admin: Actor,
    item: i64,
    orders: Vec<i64>,
    collector: Collector,
    payer: Payer,
    expirer: Expirer,
}

impl World {
    async fn apply(&mut self, op: &Op, sandbox: &Sandbox) {
        let pick = |n: usize| self.orders.get(n % self.orders.len().max(1)).copied();
        // Refusals (wrong state, not collected, ...) are part of the game: only the
        // invariants are checked.
        match *op {
            Op::Place { quantity, new } => {
                let input = OrderInput {
                    kind: Some(if new { OrderKind::New } else { OrderKind::Refill }),
                    payment_method: Some(PaymentMethod::MobileMoney),
                    payer_phone: Some("+250788123456".into()),
                    ..order_input(self.item, quantity)
                };
                if let Ok((order, _)) = self.core.place_order(&self.buyer, &input, None).await {
                    self.orders.push(order.id);
                }
            }
            Op::Advance { order } => {
                if let Some(id) = pick(order) {
                    let status = self.core.order(&self.admin, id).await.unwrap().status;
                    match status.as_str() {
                        "pending" => drop(self.core.decide_order(&self.admin, id, &approve()).await),
                        "approved" => drop(self.core.submit_invoice(&self.seller, &invoice(id, Some(100))).await),
                        "invoiced" => {
                            let pending = self.core.pending_invoices(&self.admin, Default::default()).await.unwrap();
                            match pending.items.iter().find(|i| i.order_id == id) {
                                Some(bill) => drop(self.core.decide_invoice(&self.admin, bill.id, &approve()).await),
                                None => drop(self.core.confirm_delivery(&self.admin, id).await),
                            }
                        }
                        _ => {}
                    }
                }
            }
            Op::Approve { order } => {
                if let Some(id) = pick(order) {
                    let _ = self.core.decide_order(&self.admin, id, &approve()).await;
                }
            }
            Op::Invoice { order, fee } => {
                if let Some(id) = pick(order) {
                    let _ = self.core.submit_invoice(&self.seller, &invoice(id, Some(fee))).await;
                }
            }
            Op::ApproveInvoice { order } => {
                if let Some(id) = pick(order) {
                    let pending = self.core.pending_invoices(&self.admin, Default::default()).await.unwrap();
                    if let Some(bill) = pending.items.iter().find(|i| i.order_id == id) {
                        let _ = self.core.decide_invoice(&self.admin, bill.id, &approve()).await;
                    }
                }
            }
            Op::Script { buyer, seller } => {
                sandbox.script(BUYER_PARTY, behaviour(buyer));
                sandbox.script(SELLER_PARTY, behaviour(seller));
            }
            Op::Collect => self.collector.run_once().await.unwrap(),
            Op::Pay => self.payer.run_once().await.unwrap(),
            Op::Deliver { order } => {
                if let Some(id) = pick(order) {
                    let _ = self.core.confirm_delivery(&self.admin, id).await;
                }
            }
            Op::RetryPayment { order } => {
                if let Some(id) = pick(order) {
                    let _ = self.core.retry_payment(&self.buyer, id).await;
                }
            }
            Op::RetryPayout { order } => {
                if let Some(id) = pick(order) {
                    if let Some(payout) = self.core.order_payment(&self.admin, id).await.unwrap().payout {
                        let _ = self.core.retry_payout(&self.admin, payout.id).await;
                    }
                }
            }
            Op::Expire => {
                self.expirer.run_once().await.unwrap();
            }
        }
    }

    async fn check(&self, sandbox: &Sandbox, bps: u32) {
        let transfers = sandbox.requests();
        for &id in &self.orders {
            let order = self.core.order(&self.admin, id).await.unwrap();
            let payment = self.core.order_payment(&self.admin, id).await.unwrap();
            let collected: Vec<_> = payment.attempts.iter().filter(|c| c.status.as_str() == "collected").collect();
            assert!(collected.len() <= 1, "order {id} collected twice: {payment:?}");
            let open = payment.attempts.iter().filter(|c| c.status.as_str() != "failed").count();
            assert!(open <= 1, "order {id}: more than one live request: {payment:?}");
            assert!(payment.attempts.iter().all(|c| c.amount >= 0));
            if order.status.as_str() == "expired" {
                assert!(collected.is_empty() && payment.payout.is_none(), "expired yet paid: {payment:?}");
            }
            let Some(payout) = payment.payout else { continue };
            assert_eq!(order.status.as_str(), "delivered", "payout for an undelivered order {id}");
            let taken = collected.first().expect("a payout needs a collected payment");
            assert_eq!(payout.collected, taken.amount, "order {id}");
            assert_eq!(
                payout.collected,
                payout.amount + payout.commission + payout.deposit_held,
                "money conserved for order {id}"
            );
            assert!(payout.amount >= 0 && payout.commission >= 0, "{payout:?}");
            // The deposit stays with the marketplace: owed back to the buyer, not the seller's.
            assert_eq!(payout.deposit_held, order.deposit_amount, "order {id}");
            let earned = payout.collected - payout.deposit_held;
            assert_eq!(payout.commission, gasstock_core::payments::commission(earned, bps));
            // Paid once: the transfers the sandbox took for this order's payouts, successful ones.
            let mut successful = 0;
            for transfer in transfers.iter().filter(|t| t.kind == "transfer" && t.external_id == payout.reference) {
                assert_eq!(transfer.amount, payout.amount.to_string());
                successful += usize::from(payout.status.as_str() == "paid");
            }
            assert!(successful <= 1, "order {id} paid {successful} times");
        }
        // No reference was ever taken twice, and every taken transfer belongs to a payout.
        let mut references: Vec<&str> = transfers.iter().map(|t| t.reference.as_str()).collect();
        let before = references.len();
        references.sort_unstable();
        references.dedup();
        assert_eq!(references.len(), before, "a reference taken twice");
    }
}

async fn run_sequence(backend: Backend, bps: u32, ops: Vec<Op>) {
    let db = TestDb::new(backend).await;
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let env: HashMap<String, String> = sandbox.env().into_iter().collect();
    let mut momo = MomoConfig::from_lookup(|name| env.get(name).cloned()).unwrap().unwrap();
    momo.retry_base = Duration::from_millis(1);
    momo.attempts = 1; // a 500 leaves the outcome unknown: the next round must cope
    let provider = Arc::new(MomoProvider::new(momo).unwrap());
    let core = db.core().await;
    let seller = user(&core, Role::Seller, "seller").await;
    core.set_payout_phone(&seller, Some("+250788654321")).await.unwrap();
    let mut with_deposit = stock_input("Jibu", "12kg", "Kigali", 1_000, 1_250);
    with_deposit.deposit = Some(30_000);
    let item = core.upsert_stock_item(&seller, &with_deposit).await.expect("stock").0.id;
    let store = core.store().clone();
    let mut world = World {
        buyer: user(&core, Role::Buyer, "buyer").await,
        admin: user(&core, Role::Admin, "admin").await,
        seller,
        item,
        orders: Vec::new(),
        collector: Collector::new(
            store.clone(),
            provider.clone(),
            CollectorConfig { poll_interval: Duration::ZERO, batch: 64 },
        ),
        payer: Payer::new(
            store.clone(),
            provider,
            PayoutConfig { commission_bps: bps, batch: 64, retry_base: Duration::ZERO, retry_cap: Duration::ZERO },
        ),
        expirer: Expirer::new(
            store,
            ExpiryConfig { pending_ttl: Duration::from_secs(3600), payment_ttl: Duration::ZERO, batch: 64 },
        ),
        core,
    };
    for op in &ops {
        world.apply(op, &sandbox).await;
        world.check(&sandbox, bps).await;
    }
    // Then the background rounds run on: whatever was sent settles, and still adds up.
    for _ in 0..3 {
        world.apply(&Op::Collect, &sandbox).await;
        world.apply(&Op::Pay, &sandbox).await;
        world.check(&sandbox, bps).await;
    }
}

fn cases() -> u32 {
    std::env::var("GASSTOCK_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(16)
}

fn run(backend: Backend, bps: u32, ops: Vec<Op>) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(run_sequence(backend, bps, ops));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 100, ..ProptestConfig::default() })]

    #[test]
    fn money_is_conserved_per_order_on_sqlite(bps in 0..=10_000u32, ops in proptest::collection::vec(op(), 10..50)) {
        run(Backend::Sqlite, bps, ops);
    }

    #[test]
    fn money_is_conserved_per_order_on_postgres(bps in 0..=10_000u32, ops in proptest::collection::vec(op(), 10..50)) {
        if Backend::available().contains(&Backend::Postgres) {
            run(Backend::Postgres, bps, ops);
        }
    }
}
