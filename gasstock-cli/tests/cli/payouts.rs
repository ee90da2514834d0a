//! `gasstock payouts list | retry` and `gasstock report payouts` on both backends, over a
//! payout made for real: a mobile-money order collected and paid out through the sandbox.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use gasstock_core::commands::OrderInput;
use gasstock_core::domain::{CollectionStatus, PaymentMethod};
use gasstock_core::payments::{Collector, CollectorConfig, MomoConfig, MomoProvider, Payer, PayoutConfig};
use gasstock_momo_sandbox::{Sandbox, SandboxConfig};
use gasstock_tests::fixtures::{approve, cast, invoice, order_input, stock};
use gasstock_tests::for_each_backend;

use crate::harness::{gasstock, ADMIN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payouts_are_listed_retried_and_reported() {
    for_each_backend(|db| async move {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let env: HashMap<String, String> = sandbox.env().into_iter().collect();
        let momo = MomoConfig::from_lookup(|name| env.get(name).cloned()).unwrap().unwrap();
        let provider = Arc::new(MomoProvider::new(momo).unwrap());
        let core = db.core().await;
        let c = cast(&core).await;
        let item = stock(&core, &c.seller, 5, 10_000).await;
        let input = OrderInput {
            payment_method: Some(PaymentMethod::MobileMoney),
            payer_phone: Some("+250788123456".into()),
            ..order_input(item.id, 1)
        };
        let (placed, _) = core.place_order(&c.buyer, &input, None).await.unwrap();
        core.decide_order(&c.admin, placed.id, &approve()).await.unwrap();
        let bill = core.submit_invoice(&c.seller, &invoice(placed.id, None)).await.unwrap();
        core.decide_invoice(&c.admin, bill.id, &approve()).await.unwrap();
        let collector = Collector::new(
            core.store().clone(),
            provider.clone(),
            CollectorConfig { poll_interval: Duration::ZERO, batch: 10 },
        );
        collector.run_once().await.unwrap();
        collector.run_once().await.unwrap();
        let payment = core.order_payment(&c.admin, placed.id).await.unwrap();
        assert_eq!(payment.collection.unwrap().status, CollectionStatus::Collected);
        core.confirm_delivery(&c.admin, placed.id).await.unwrap();
        // No payout phone: the payout fails without a transfer.
        let config =
            PayoutConfig { commission_bps: 1_000, batch: 10, retry_base: Duration::ZERO, retry_cap: Duration::ZERO };
        let payer = Payer::new(core.store().clone(), provider, config);
        payer.run_once().await.unwrap();

        let failed =
            gasstock(&db, Some(ADMIN), &["--format", "json", "payouts", "list", "--status", "failed"], None).json();
        let items = failed.as_array().unwrap();
        assert_eq!(items.len(), 1, "{failed}");
        assert_eq!(
            (items[0]["collected"].as_i64(), items[0]["commission"].as_i64(), items[0]["amount"].as_i64()),
            (Some(10_000), Some(1_000), Some(9_000))
        );
        assert_eq!(items[0]["last_error"], "the seller has no payout_phone");
        let id = items[0]["id"].as_i64().unwrap().to_string();
        let report = gasstock(&db, Some(ADMIN), &["--format", "json", "report", "payouts"], None).json();
        assert_eq!(report[0]["failed"], 9_000);
        assert_eq!(report[0]["outstanding"], 0);

        core.set_payout_phone(&c.seller, Some("+250788654321")).await.unwrap();
        let retried = gasstock(&db, Some(ADMIN), &["--format", "json", "payouts", "retry", &id], None).json();
        assert_eq!(retried["status"], "queued");
        assert_ne!(retried["reference"], items[0]["reference"]);
        let report = gasstock(&db, Some(ADMIN), &["--format", "json", "report", "payouts"], None).json();
        assert_eq!((report[0]["failed"].as_i64(), report[0]["outstanding"].as_i64()), (Some(0), Some(9_000)));
        gasstock(&db, Some(ADMIN), &["payouts", "retry", &id], None).expect_code(1);
        gasstock(&db, Some(ADMIN), &["payouts", "retry", "999"], None).expect_code(1);
        gasstock(&db, Some(ADMIN), &["payouts", "list", "--status", "lost"], None).expect_code(2);

        payer.run_once().await.unwrap();
        payer.run_once().await.unwrap();
        let paid =
            gasstock(&db, Some(ADMIN), &["--format", "json", "payouts", "list", "--status", "paid"], None).json();
        assert_eq!(paid.as_array().unwrap().len(), 1);
        let report = gasstock(&db, Some(ADMIN), &["--format", "json", "report", "payouts"], None).json();
        assert_eq!((report[0]["paid"].as_i64(), report[0]["outstanding"].as_i64()), (Some(9_000), Some(0)));
        assert_eq!(sandbox.stats().transfers, 1);
    })
    .await;
}
