//! `gasstock seed`: a data set the app can use at once, reproducible, and reruns that add.

use gasstock_core::commands::{PageRequest, StockQuery};
use gasstock_core::domain::Role;
use gasstock_tests::for_each_backend;

use crate::harness::gasstock;

const SMALL: &[&str] =
    &["seed", "--sellers", "3", "--buyers", "7", "--items", "40", "--orders", "300", "--password", "demo-password"];

#[tokio::test]
async fn seed_writes_accounts_stock_and_orders_and_reports_them() {
    for_each_backend(|db| async move {
        let mut args = SMALL.to_vec();
        args.extend(["--format", "json"]);
        let report = gasstock(&db, None, &args, None).json();
        assert_eq!((report["users"].as_u64(), report["items"].as_u64()), (Some(10), Some(40)));
        assert_eq!(report["orders"], 300);
        assert!(report["payments"].as_u64().unwrap() > 0, "{report}");
        assert!(report["invoices"].as_u64() >= report["payments"].as_u64(), "{report}");
        assert!(report["events"].as_u64().unwrap() >= 300, "{report}");
        assert!(report["seconds"].as_f64().is_some(), "{report}");
        assert!(report["reviews"].as_u64().unwrap() > 0, "{report}");
        assert_eq!(report["first_seller"], "seller0.1@seed.gasstock.rw");
        assert_eq!(report["first_buyer"], "buyer0.1@seed.gasstock.rw");

        // The accounts it names sign in with the given password; the stock is browsable.
        let core = db.core().await;
        let seller = core.verify_credentials("seller0.1@seed.gasstock.rw", "demo-password").await.unwrap();
        assert_eq!(seller.role, Role::Seller);
        let buyer = core.verify_credentials("buyer6.1@seed.gasstock.rw", "demo-password").await.unwrap();
        assert_eq!(buyer.role, Role::Buyer);
        let all = PageRequest::new(Some(1), Some(100)).unwrap();
        let orders = core.store().list_orders(Default::default(), all).await.unwrap();
        assert_eq!(orders.total, 300);
        let statuses: std::collections::BTreeSet<_> = orders.items.iter().map(|o| o.status).collect();
        assert!(statuses.len() >= 4, "orders in many statuses: {statuses:?}");
        let browse = core.browse_stock(&StockQuery::default(), PageRequest::default()).await.unwrap();
        assert!(browse.total > 0 && browse.total <= 40);

        // A rerun adds to the first, under new account names; the table format is the default.
        let again = gasstock(&db, None, SMALL, None).expect_code(0).stdout.clone();
        assert!(again.contains("seller0.11@seed.gasstock.rw"), "{again}");
        assert_eq!(core.store().list_orders(Default::default(), all).await.unwrap().total, 600);
    })
    .await;
}

#[tokio::test]
async fn seed_refuses_impossible_plans() {
    for_each_backend(|db| async move {
        let run = gasstock(&db, None, &["seed", "--sellers", "0", "--items", "1", "--orders", "1"], None);
        run.expect_code(2);
        assert!(run.stderr.contains("seller"), "{}", run.stderr);
        // More items than distinct (brand, weight, location) keys the sellers can hold.
        let run = gasstock(&db, None, &["seed", "--sellers", "1", "--items", "100000", "--orders", "0"], None);
        run.expect_code(2);
        assert!(run.stdout.is_empty(), "nothing printed on failure: {}", run.stdout);
    })
    .await;
}
