//! Seller payouts on both backends against the MoMo sandbox over HTTP: the whole story with
//! commission and report figures, a failed payout retried by an admin, and the payout whose
//! outcome was lost (a crash between the transfer and its record, a timeout): reconciled by
//! reading its status, never sent twice (the sandbox counts the transfers it received).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use gasstock_core::commands::PageRequest;
use gasstock_core::domain::{CollectionStatus, PayoutStatus};
use gasstock_core::payments::{
    Collector, MomoProvider, Payer, PaymentProvider, PayoutConfig, Reference, TransferRequest,
};
use gasstock_core::{Error, Gasstock};
use gasstock_momo_sandbox::{Behaviour, Sandbox, SandboxConfig};
use gasstock_tests::fixtures::{cast, Cast};
use gasstock_tests::for_each_backend;

use crate::mobile_money::{approved_mobile_order, collector, momo_config};

const SELLER_PARTY: &str = "250788654321";

fn payer(core: &Gasstock, sandbox: &Sandbox, bps: u32) -> Payer {
    let provider = Arc::new(MomoProvider::new(momo_config(sandbox)).unwrap());
    let config = PayoutConfig { commission_bps: bps, batch: 64, retry_base: Duration::ZERO, retry_cap: Duration::ZERO };
    Payer::new(core.store().clone(), provider, config)
}

/// A delivered mobile-money order of 31,000 (collected through the sandbox).
async fn delivered_order(core: &Gasstock, c: &Cast, collector: &Collector) -> i64 {
    let order = approved_mobile_order(core, c).await;
    collector.send_due().await.unwrap();
    for _ in 0..500 {
        collector.poll_due().await.unwrap();
        let payment = core.order_payment(&c.buyer, order.id).await.unwrap();
        if payment.collection.unwrap().status == CollectionStatus::Collected {
            core.confirm_delivery(&c.admin, order.id).await.unwrap();
            return order.id;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never collected");
}

async fn settle(payer: &Payer, core: &Gasstock, c: &Cast, order: i64) -> PayoutStatus {
    for _ in 0..500 {
        payer.run_once().await.unwrap();
        let payout = core.order_payment(&c.admin, order).await.unwrap().payout.expect("queued");
        if matches!(payout.status, PayoutStatus::Paid | PayoutStatus::Failed) {
            return payout.status;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("payout of {order} never settled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivered_mobile_money_order_pays_the_seller_less_commission() {
    for_each_backend(|db| async move {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        sandbox.script(SELLER_PARTY, Behaviour::success().delayed(Duration::from_millis(200)));
        let core = db.core().await;
        let c = cast(&core).await;
        assert_eq!(
            core.set_payout_phone(&c.seller, Some("0788 654 321")).await.unwrap().as_deref(),
            Some("+250788654321")
        );
        assert!(matches!(core.set_payout_phone(&c.buyer, Some("+250788654321")).await, Err(Error::Forbidden(_))));
        assert!(matches!(
            core.set_payout_phone(&c.seller, Some("123")).await,
            Err(Error::Invalid { field, .. }) if field == "payout_phone"
        ));
        let collector = collector(&core, &sandbox);
        let order = delivered_order(&core, &c, &collector).await;
        let payer = payer(&core, &sandbox, 250);
        assert_eq!(payer.queue().await.unwrap(), 1);
        assert_eq!(payer.queue().await.unwrap(), 0, "one payout per order");
        assert_eq!(settle(&payer, &core, &c, order).await, PayoutStatus::Paid);

        let payout = core.order_payment(&c.seller, order).await.unwrap().payout.unwrap();
        assert_eq!((payout.collected, payout.commission, payout.amount), (31_000, 775, 30_225));
        assert!(payout.provider_transaction_id.is_some());
        let transfers = sandbox.requests().into_iter().filter(|r| r.kind == "transfer").collect::<Vec<_>>();
        assert_eq!(transfers.len(), 1);
        assert_eq!((transfers[0].amount.as_str(), transfers[0].party_id.as_str()), ("30225", SELLER_PARTY));
        assert_eq!(transfers[0].reference, payout.reference);

        let report = core.payout_report(&c.admin).await.unwrap();
        assert_eq!(report.len(), 1);
        let row = &report[0];
        assert_eq!(
            (row.seller_id, row.collected, row.commission, row.paid, row.failed, row.outstanding),
            (c.seller.user_id, 31_000, 775, 30_225, 0, 0)
        );
        assert!(matches!(core.payout_report(&c.seller).await, Err(Error::Forbidden(_))));
        let paid = core.payouts(&c.admin, Some(PayoutStatus::Paid), PageRequest::default()).await.unwrap();
        assert_eq!(paid.total, 1);
        assert_eq!(core.payouts(&c.admin, Some(PayoutStatus::Failed), PageRequest::default()).await.unwrap().total, 0);
        let notices = core.notifications(&c.seller, Default::default(), Default::default()).await.unwrap();
        assert!(notices.items.iter().any(|n| n.event == "payout.paid"));
        // Running the payer again sends nothing more.
        payer.run_once().await.unwrap();
        assert_eq!(sandbox.stats().transfers, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_payout_is_retried_by_an_admin_under_a_new_reference() {
    for_each_backend(|db| async move {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let core = db.core().await;
        let c = cast(&core).await;
        let collector = collector(&core, &sandbox);
        let order = delivered_order(&core, &c, &collector).await;
        let payer = payer(&core, &sandbox, 0);
        // No payout phone yet: the payout fails without a transfer.
        assert_eq!(settle(&payer, &core, &c, order).await, PayoutStatus::Failed);
        assert_eq!(sandbox.stats().transfer_posts, 0);
        let failed = core.order_payment(&c.admin, order).await.unwrap().payout.unwrap();
        assert_eq!(failed.last_error.as_deref(), Some("the seller has no payout_phone"));

        core.set_payout_phone(&c.seller, Some("+250788654321")).await.unwrap();
        sandbox.script(SELLER_PARTY, Behaviour::failure("PAYEE_NOT_FOUND"));
        assert!(matches!(core.retry_payout(&c.seller, failed.id).await, Err(Error::Forbidden(_))));
        let again = core.retry_payout(&c.admin, failed.id).await.unwrap();
        assert_ne!(again.reference, failed.reference);
        assert_eq!(settle(&payer, &core, &c, order).await, PayoutStatus::Failed);
        assert_eq!(
            core.order_payment(&c.admin, order).await.unwrap().payout.unwrap().last_error.as_deref(),
            Some("PAYEE_NOT_FOUND")
        );
        let report = core.payout_report(&c.admin).await.unwrap();
        assert_eq!((report[0].paid, report[0].failed, report[0].outstanding), (0, 31_000, 0));

        sandbox.script(SELLER_PARTY, Behaviour::success());
        core.retry_payout(&c.admin, failed.id).await.unwrap();
        assert!(matches!(
            core.retry_payout(&c.admin, failed.id).await,
            Err(Error::Conflict { code: "invalid_state", .. })
        ));
        assert!(matches!(core.retry_payout(&c.admin, failed.id + 99).await, Err(Error::NotFound { .. })));
        assert_eq!(settle(&payer, &core, &c, order).await, PayoutStatus::Paid);
        assert_eq!(sandbox.stats().transfers, 2, "the failed transfer and the paid one");
        let history = core.order_history(&c.admin, order).await.unwrap();
        let payout_events: Vec<&str> =
            history.iter().filter(|e| e.entity == "payment").map(|e| e.to_status.as_str()).collect();
        assert_eq!(payout_events, ["requested", "collected", "released", "failed", "failed", "paid"]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payout_lost_between_the_transfer_and_its_record_is_reconciled_not_resent() {
    for_each_backend(|db| async move {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let core = db.core().await;
        let c = cast(&core).await;
        core.set_payout_phone(&c.seller, Some("+250788654321")).await.unwrap();
        let collector = collector(&core, &sandbox);
        let order = delivered_order(&core, &c, &collector).await;
        let payer = payer(&core, &sandbox, 100);
        payer.queue().await.unwrap();

        // What a payer does, up to the moment it dies: the attempt is claimed and the transfer
        // sent under the recorded reference; the process ends before it records the answer.
        let queued = core.order_payment(&c.admin, order).await.unwrap().payout.unwrap();
        let claimed = core.store().begin_payout_attempt(&queued, Utc::now()).await.unwrap().unwrap();
        let provider = MomoProvider::new(momo_config(&sandbox)).unwrap();
        let transfer = TransferRequest {
            amount: gasstock_core::domain::Amount::new(claimed.amount, "amount").unwrap(),
            currency: claimed.currency,
            payee: "+250788654321".parse().unwrap(),
            external_id: claimed.reference.clone(),
            message: "payout".into(),
        };
        let reference: Reference = claimed.reference.parse().unwrap();
        provider.transfer(&reference, &transfer).await.unwrap();
        drop(provider);
        assert_eq!(core.order_payment(&c.admin, order).await.unwrap().payout.unwrap().status, PayoutStatus::Queued);

        // A new payer (the restarted server) reconciles it by reading its status.
        assert_eq!(settle(&payer, &core, &c, order).await, PayoutStatus::Paid);
        let stats = sandbox.stats();
        assert_eq!((stats.transfers, stats.transfer_posts), (1, 1), "reconciled, never sent again");

        // The same with a timeout: the transfer is taken, the answer comes too late.
        let sandbox2 = Sandbox::start(SandboxConfig::default()).await.unwrap();
        sandbox2.script(SELLER_PARTY, Behaviour::success().hang_first(1, Duration::from_secs(3)));
        let order2 = delivered_order(&core, &c, &self::collector(&core, &sandbox2)).await;
        let mut config = momo_config(&sandbox2);
        config.timeout = Duration::from_millis(300);
        config.attempts = 1;
        let slow = Payer::new(
            core.store().clone(),
            Arc::new(MomoProvider::new(config).unwrap()),
            PayoutConfig { commission_bps: 0, batch: 64, retry_base: Duration::ZERO, retry_cap: Duration::ZERO },
        );
        assert_eq!(settle(&slow, &core, &c, order2).await, PayoutStatus::Paid);
        let stats = sandbox2.stats();
        assert_eq!((stats.transfers, stats.transfer_posts), (1, 1), "the timed-out transfer was read, not resent");
    })
    .await;
}
