//! Mobile-money collection on both backends, against the project's MoMo sandbox over HTTP:
//! the request-to-pay sent when the invoice is approved, settled by polling or on a
//! callback's hint (never by what the callback says), the delivery gate, the buyer's retry.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use gasstock_core::commands::OrderInput;
use gasstock_core::domain::{CollectionStatus, PaymentMethod, Role};
use gasstock_core::models::Order;
use gasstock_core::payments::{Collector, CollectorConfig, MomoConfig, MomoProvider, Reference};
use gasstock_core::{Actor, Error, Gasstock};
use gasstock_momo_sandbox::{Behaviour, Sandbox, SandboxConfig};
use gasstock_tests::fixtures::{approve, cast, invoice, stock, Cast};
use gasstock_tests::{for_each_backend, Backend, TestDb};

pub const PHONE: &str = "+250788123456";
const PARTY: &str = "250788123456";

pub fn momo_config(sandbox: &Sandbox) -> MomoConfig {
    let env: HashMap<String, String> = sandbox.env().into_iter().collect();
    let mut config = MomoConfig::from_lookup(|name| env.get(name).cloned()).unwrap().unwrap();
    config.retry_base = Duration::from_millis(10);
    config
}

/// A collector that polls every open request at each round.
pub fn collector(core: &Gasstock, sandbox: &Sandbox) -> Collector {
    let provider = Arc::new(MomoProvider::new(momo_config(sandbox)).unwrap());
    Collector::new(core.store().clone(), provider, CollectorConfig { poll_interval: Duration::ZERO, batch: 64 })
}

pub fn mobile_input(inventory_id: i64, quantity: i64) -> OrderInput {
    OrderInput {
        payment_method: Some(PaymentMethod::MobileMoney),
        payer_phone: Some("0788 123 456".into()),
        ..gasstock_tests::fixtures::order_input(inventory_id, quantity)
    }
}

/// A mobile-money order whose invoice (2 x 15,000 + 1,000) is approved.
pub async fn approved_mobile_order(core: &Gasstock, c: &Cast) -> Order {
    let item = stock(core, &c.seller, 10, 15_000).await;
    let (order, _) = core.place_order(&c.buyer, &mobile_input(item.id, 2), None).await.unwrap();
    assert_eq!(order.payment_method, PaymentMethod::MobileMoney);
    assert_eq!(order.payer_phone.as_deref(), Some(PHONE));
    core.decide_order(&c.admin, order.id, &approve()).await.unwrap();
    let bill = core.submit_invoice(&c.seller, &invoice(order.id, Some(1_000))).await.unwrap();
    core.decide_invoice(&c.admin, bill.id, &approve()).await.unwrap();
    order
}

fn not_collected(result: Result<impl std::fmt::Debug, Error>) {
    match result {
        Err(Error::Conflict { code: "payment_not_collected", .. }) => {}
        other => panic!("expected payment_not_collected, got {other:?}"),
    }
}

async fn settle_by_polling(collector: &Collector, core: &Gasstock, actor: &Actor, order_id: i64) -> CollectionStatus {
    for _ in 0..500 {
        collector.run_once().await.unwrap();
        let payment = core.order_payment(actor, order_id).await.unwrap();
        let status = payment.collection.expect("a collection").status;
        if status != CollectionStatus::Requested {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("order {order_id} never settled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mobile_money_order_is_collected_by_polling_and_only_then_delivered() {
    for_each_backend(|db| async move {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        sandbox.script(PARTY, Behaviour::success().delayed(Duration::from_millis(300)).callbacks(0));
        let core = db.core().await;
        let c = cast(&core).await;
        let order = approved_mobile_order(&core, &c).await;

        let before = core.order_payment(&c.buyer, order.id).await.unwrap();
        let requested = before.collection.clone().expect("requested on invoice approval");
        assert_eq!(
            (requested.status, requested.amount, requested.sent_at),
            (CollectionStatus::Requested, 31_000, None)
        );
        assert_eq!(requested.payer_phone, PHONE);
        not_collected(core.confirm_delivery(&c.admin, order.id).await);

        let collector = collector(&core, &sandbox);
        assert_eq!(collector.send_due().await.unwrap(), 1);
        assert_eq!(collector.send_due().await.unwrap(), 0, "sent once");
        not_collected(core.confirm_delivery(&c.admin, order.id).await);
        assert_eq!(settle_by_polling(&collector, &core, &c.buyer, order.id).await, CollectionStatus::Collected);
        let taken = sandbox.requests();
        assert_eq!(taken.len(), 1);
        assert_eq!((taken[0].reference.as_str(), taken[0].amount.as_str()), (requested.reference.as_str(), "31000"));
        assert_eq!(taken[0].party_id, PARTY);

        let delivery = core.confirm_delivery(&c.admin, order.id).await.unwrap();
        assert_eq!(delivery.payment.amount, 31_000);
        let seen = core.order_payment(&c.seller, order.id).await.unwrap();
        assert_eq!(seen.attempts.len(), 1);
        assert!(seen.collection.unwrap().provider_transaction_id.is_some());
        assert_eq!(seen.payment.map(|p| p.amount), Some(31_000));
        assert!(matches!(core.order_payment(&c.other_buyer, order.id).await, Err(Error::NotFound { .. })));
        let events: Vec<(String, String)> = core
            .order_history(&c.buyer, order.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.entity == "payment" && e.to_status != "released")
            .map(|e| (e.from_status.unwrap_or_default(), e.to_status))
            .collect();
        assert_eq!(events, [(String::new(), "requested".into()), ("requested".into(), "collected".into())]);
        let notices = core.notifications(&c.seller, Default::default(), Default::default()).await.unwrap();
        assert!(notices.items.iter().any(|n| n.event == "payment.collected"), "{notices:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_collection_is_retried_by_the_buyer_under_a_new_reference() {
    for_each_backend(|db| async move {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        sandbox.script(PARTY, Behaviour::failure("APPROVAL_REJECTED"));
        let core = db.core().await;
        let c = cast(&core).await;
        let order = approved_mobile_order(&core, &c).await;
        let collector = collector(&core, &sandbox);
        // Retrying while the first request is open is refused.
        assert!(matches!(
            core.retry_payment(&c.buyer, order.id).await,
            Err(Error::Conflict { code: "payment_in_progress", .. })
        ));
        assert_eq!(settle_by_polling(&collector, &core, &c.buyer, order.id).await, CollectionStatus::Failed);
        let failed = core.order_payment(&c.buyer, order.id).await.unwrap().collection.unwrap();
        assert_eq!(failed.reason.as_deref(), Some("APPROVAL_REJECTED"));
        not_collected(core.confirm_delivery(&c.admin, order.id).await);

        assert!(matches!(core.retry_payment(&c.other_buyer, order.id).await, Err(Error::NotFound { .. })));
        assert!(matches!(core.retry_payment(&c.seller, order.id).await, Err(Error::Forbidden(_))));
        sandbox.script(PARTY, Behaviour::success());
        let retry = core.retry_payment(&c.buyer, order.id).await.unwrap();
        assert_ne!(retry.reference, failed.reference);
        assert_eq!((retry.status, retry.amount), (CollectionStatus::Requested, 31_000));
        assert_eq!(settle_by_polling(&collector, &core, &c.buyer, order.id).await, CollectionStatus::Collected);
        assert!(matches!(
            core.retry_payment(&c.buyer, order.id).await,
            Err(Error::Conflict { code: "payment_in_progress", .. })
        ));
        assert_eq!(sandbox.stats().collections, 2);
        assert_eq!(core.order_payment(&c.admin, order.id).await.unwrap().attempts.len(), 2);
        core.confirm_delivery(&c.admin, order.id).await.unwrap();

        // Cash on delivery: nothing is requested, delivery is as before, there is nothing to retry.
        let item = stock(&core, &c.seller, 5, 9_000).await;
        let cash = gasstock_tests::fixtures::order(&core, &c.buyer, item.id, 1).await;
        assert_eq!((cash.payment_method, cash.payer_phone.clone()), (PaymentMethod::CashOnDelivery, None));
        core.decide_order(&c.admin, cash.id, &approve()).await.unwrap();
        let bill = core.submit_invoice(&c.seller, &invoice(cash.id, None)).await.unwrap();
        core.decide_invoice(&c.admin, bill.id, &approve()).await.unwrap();
        assert!(core.order_payment(&c.buyer, cash.id).await.unwrap().collection.is_none());
        assert!(matches!(
            core.retry_payment(&c.buyer, cash.id).await,
            Err(Error::Conflict { code: "not_mobile_money", .. })
        ));
        core.confirm_delivery(&c.admin, cash.id).await.unwrap();
        assert_eq!(sandbox.stats().collections, 2, "no request for a cash order");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mobile_money_orders_need_a_valid_payer_phone_and_cash_ones_keep_none() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let item = stock(&core, &c.seller, 5, 9_000).await;
        let cases = [
            (Some(PaymentMethod::MobileMoney), Some("12345")),
            (Some(PaymentMethod::MobileMoney), Some("+250688123456")),
            (None, Some("12345")),
        ];
        for (payment_method, phone) in cases {
            let input = OrderInput {
                payment_method,
                payer_phone: phone.map(str::to_owned),
                ..gasstock_tests::fixtures::order_input(item.id, 1)
            };
            match core.place_order(&c.buyer, &input, None).await {
                Err(Error::Invalid { field, .. }) => assert_eq!(field, "payer_phone"),
                other => panic!("{payment_method:?} {phone:?}: {other:?}"),
            }
        }
        assert_eq!(core.stock_item(item.id).await.unwrap().quantity, 5, "nothing reserved");

        // Mobile money with no number takes the account's phone; an account without a
        // mobile-money number has none to give: a conflict, nothing reserved.
        let no_number = OrderInput {
            payment_method: Some(PaymentMethod::MobileMoney),
            ..gasstock_tests::fixtures::order_input(item.id, 1)
        };
        match core.place_order(&c.buyer, &no_number, None).await {
            Err(Error::Conflict { code, .. }) => assert_eq!(code, "payer_phone_required"),
            other => panic!("no number anywhere: {other:?}"),
        }
        assert_eq!(core.stock_item(item.id).await.unwrap().quantity, 5, "nothing reserved");
        let record = gasstock_core::store::NewUserRecord {
            email: "phoned@example.rw".into(),
            name: "Phoned".into(),
            role: Role::Buyer,
            phone: Some("0788 111 222".into()),
            location: None,
            password_hash: gasstock_core::domain::dummy_hash().to_owned(),
        };
        let phoned = core.store().insert_user(record).await.unwrap();
        let phoned = gasstock_core::Actor::new(phoned.id, Role::Buyer);
        let (order, _) = core.place_order(&phoned, &no_number, None).await.unwrap();
        assert_eq!(order.payer_phone.as_deref(), Some("+250788111222"), "the account's number");

        // A number with no method means mobile money; cash on delivery does not keep one.
        let implied =
            OrderInput { payer_phone: Some(PHONE.into()), ..gasstock_tests::fixtures::order_input(item.id, 1) };
        let (order, _) = core.place_order(&c.buyer, &implied, None).await.unwrap();
        assert_eq!((order.payment_method, order.payer_phone.as_deref()), (PaymentMethod::MobileMoney, Some(PHONE)));
        let cash = OrderInput {
            payment_method: Some(PaymentMethod::CashOnDelivery),
            payer_phone: Some(PHONE.into()),
            ..gasstock_tests::fixtures::order_input(item.id, 1)
        };
        let (order, _) = core.place_order(&c.buyer, &cash, None).await.unwrap();
        assert_eq!((order.payment_method, order.payer_phone), (PaymentMethod::CashOnDelivery, None));
    })
    .await;
}

/// Several stores on one database (one on PostgreSQL: its pool already races).
async fn cores(db: &TestDb) -> Vec<Gasstock> {
    let count = if db.backend == Backend::Sqlite { 4 } else { 1 };
    let mut cores = Vec::new();
    for _ in 0..count {
        cores.push(Gasstock::new(db.store(32).await));
    }
    cores
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn callbacks_are_hints_and_twenty_duplicates_with_twenty_deliveries_settle_once() {
    for_each_backend(|db| async move {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let cores = cores(&db).await;
        let core = &cores[0];
        let c = cast(core).await;
        let order = approved_mobile_order(core, &c).await;
        let collector = collector(core, &sandbox);
        // A forged reference (not ours) and one never sent change nothing.
        assert_eq!(collector.check(&Reference::new()).await.unwrap(), None);
        let reference: Reference =
            core.order_payment(&c.buyer, order.id).await.unwrap().collection.unwrap().reference.parse().unwrap();
        assert_eq!(collector.check(&reference).await.unwrap(), None, "the provider does not know it yet");
        collector.send_due().await.unwrap();

        // Twenty concurrent callbacks for the reference, each on its own collector and store,
        // and twenty concurrent delivery confirmations.
        let start = Arc::new(tokio::sync::Barrier::new(40));
        let mut tasks = Vec::new();
        for n in 0..20 {
            let (core, start, reference) = (cores[n % cores.len()].clone(), start.clone(), reference.clone());
            let collector = self::collector(&core, &sandbox);
            tasks.push(tokio::spawn(async move {
                start.wait().await;
                collector.check(&reference).await.map(|settled| settled.is_some())
            }));
        }
        let mut deliveries = Vec::new();
        for n in 0..20 {
            let (core, start, admin) = (cores[n % cores.len()].clone(), start.clone(), c.admin);
            deliveries.push(tokio::spawn(async move {
                start.wait().await;
                // Keep trying until collected or delivered: the race is between deliveries.
                loop {
                    match core.confirm_delivery(&admin, order.id).await {
                        Err(Error::Conflict { code: "payment_not_collected", .. }) => tokio::task::yield_now().await,
                        other => return other.map(|_| ()),
                    }
                }
            }));
        }
        let mut settled = 0;
        for task in tasks {
            settled += usize::from(task.await.unwrap().unwrap());
        }
        assert_eq!(settled, 1, "one callback settles, the others find it settled");
        let mut delivered = 0;
        for task in deliveries {
            match task.await.unwrap() {
                Ok(()) => delivered += 1,
                Err(Error::Conflict { code: "already_delivered", .. }) => {}
                Err(other) => panic!("{other:?}"),
            }
        }
        assert_eq!(delivered, 1);
        let facts = db.payment_facts().await;
        assert_eq!(facts.len(), 1);
        facts[0].assert_consistent();
        let history = core.order_history(&c.admin, order.id).await.unwrap();
        assert_eq!(history.iter().filter(|e| e.to_status == "collected").count(), 1);
        assert_eq!(sandbox.stats().collections, 1);
    })
    .await;
}

/// Migration 20261202000020 on a database of the schema before it: orders placed then are
/// cash on delivery and deliver as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_placed_before_mobile_money_carry_forward_as_cash_on_delivery() {
    use sqlx::migrate::Migrator;
    fn before(mut migrator: Migrator) -> Migrator {
        let old: Vec<_> = migrator.migrations.iter().filter(|m| m.version < 20261202000020).cloned().collect();
        migrator.migrations = old.into();
        migrator
    }
    const OLD_ROWS: [&str; 3] = [
        "INSERT INTO users (email, name, role, password_hash, created_at) VALUES ('b@x.rw', 'B', 'buyer', 'x', $1), \
         ('s@x.rw', 'S', 'seller', 'x', $1), ('a@x.rw', 'A', 'admin', 'x', $1)",
        "INSERT INTO stock_items (seller_id, brand, weight_g, location, quantity, unit_price, currency, created_at, \
         updated_at) VALUES (2, 'Jibu', 12000, 'Kigali', 4, 9000, 'RWF', $1, $1)",
        "INSERT INTO orders (buyer_id, seller_id, inventory_id, brand, weight_g, location, quantity, unit_price, \
         total_amount, currency, status, created_at, updated_at) \
         VALUES (1, 2, 1, 'Jibu', 12000, 'Kigali', 1, 9000, 9000, 'RWF', 'pending', $1, $1)",
    ];
    for_each_backend(|db| async move {
        let at = chrono::Utc::now();
        match db.backend {
            Backend::Sqlite => {
                let options: sqlx::sqlite::SqliteConnectOptions = db.url.parse().unwrap();
                let pool = sqlx::SqlitePool::connect_with(options.create_if_missing(true)).await.unwrap();
                before(sqlx::migrate!("../migrations/sqlite")).run(&pool).await.unwrap();
                for sql in OLD_ROWS {
                    sqlx::query(sql).bind(at).execute(&pool).await.unwrap();
                }
                pool.close().await;
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
                before(sqlx::migrate!("../migrations/postgres")).run(&pool).await.unwrap();
                for sql in OLD_ROWS {
                    sqlx::query(sql).bind(at).execute(&pool).await.unwrap();
                }
                pool.close().await;
            }
        }
        let core = db.core().await;
        let (buyer, seller, admin) =
            (Actor::new(1, Role::Buyer), Actor::new(2, Role::Seller), Actor::new(3, Role::Admin));
        let old = core.order(&buyer, 1).await.unwrap();
        assert_eq!((old.payment_method, old.payer_phone.clone()), (PaymentMethod::CashOnDelivery, None));
        core.decide_order(&admin, 1, &approve()).await.unwrap();
        let bill = core.submit_invoice(&seller, &invoice(1, None)).await.unwrap();
        core.decide_invoice(&admin, bill.id, &approve()).await.unwrap();
        assert!(core.order_payment(&buyer, 1).await.unwrap().attempts.is_empty());
        assert_eq!(core.confirm_delivery(&admin, 1).await.unwrap().payment.amount, 9_000);
    })
    .await;
}
