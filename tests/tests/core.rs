//! The core's behaviour suite, written once and run against every available backend
//! (SQLite always, PostgreSQL when GASSTOCK_TEST_PG_URL is set).

#[path = "core/accounts.rs"]
mod accounts;
#[path = "core/cylinder_invariants.rs"]
mod cylinder_invariants;
#[path = "core/cylinders.rs"]
mod cylinders;
#[path = "core/delivery.rs"]
mod delivery;
#[path = "core/expiry.rs"]
mod expiry;
#[path = "core/group_commit.rs"]
mod group_commit;
#[path = "core/invariants.rs"]
mod invariants;
#[path = "core/live.rs"]
mod live;
#[path = "core/low_stock.rs"]
mod low_stock;
#[path = "core/mobile_money.rs"]
mod mobile_money;
#[path = "core/momo_adapter.rs"]
mod momo_adapter;
#[path = "core/money_invariants.rs"]
mod money_invariants;
#[path = "core/notifications.rs"]
mod notifications;
#[path = "core/orders.rs"]
mod orders;
#[path = "core/payouts.rs"]
mod payouts;
#[path = "core/races.rs"]
mod races;
#[path = "core/roles.rs"]
mod roles;
#[path = "core/seed.rs"]
mod seed;
#[path = "core/sellers.rs"]
mod sellers;
#[path = "core/stock.rs"]
mod stock;
#[path = "core/text_fields.rs"]
mod text_fields;
#[path = "core/upsert_ledger.rs"]
mod upsert_ledger;
#[path = "core/webhooks.rs"]
mod webhooks;
#[path = "core/zones.rs"]
mod zones;

/// The embedding example runs here, so it cannot rot.
#[allow(dead_code)]
#[path = "../../examples/embed_core.rs"]
mod embed_core;

#[tokio::test(flavor = "multi_thread")]
async fn the_embedding_example_walks_an_order_to_payment() {
    gasstock_tests::for_each_backend(|db| async move {
        let delivery =
            embed_core::walk_one_order(&db.url).await.unwrap_or_else(|err| panic!("example on {}: {err:?}", db.url));
        assert_eq!(delivery.payment.amount, 2 * 15_000 + 1_000);
        assert_eq!(delivery.order.status, gasstock_core::domain::OrderStatus::Delivered);
    })
    .await;
}
