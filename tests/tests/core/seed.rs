use gasstock_core::commands::{PageRequest, StockQuery};
use gasstock_core::domain::is_legal_order_path;
use gasstock_core::seed::SeedPlan;
use gasstock_tests::fixtures::{cast, order, order_path};
use gasstock_tests::{for_each_backend, PaymentFacts};

fn plan(orders: u32) -> SeedPlan {
    SeedPlan { sellers: 4, buyers: 10, items: 60, orders, password: "seed-password".into(), seed: 42 }
}

#[tokio::test]
async fn seeding_writes_a_consistent_data_set_and_the_app_keeps_working() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let stages = std::sync::Mutex::new(Vec::new());
        let summary = core.seed(plan(25_000), |stage, done| stages.lock().unwrap().push((stage, done))).await.unwrap();
        assert_eq!((summary.users, summary.items, summary.orders), (14, 60, 25_000));
        assert!(summary.payments > 10_000 && summary.invoices > summary.payments, "{summary:?}");
        assert_eq!(stages.lock().unwrap().last(), Some(&("orders", 25_000)), "progress per chunk");

        // Payments: one per delivered order, equal to the approved invoice.
        let facts = db.payment_facts().await;
        assert_eq!(facts.len() as u64, summary.payments);
        facts.iter().for_each(PaymentFacts::assert_consistent);

        // A sample of orders took legal paths.
        let all =
            core.store().list_orders(Default::default(), PageRequest::new(Some(7), Some(100)).unwrap()).await.unwrap();
        assert_eq!(all.total, 25_000);
        for seeded in &all.items {
            let path = order_path(core.store(), seeded.id).await;
            assert!(is_legal_order_path(&path) && path.last() == Some(&seeded.status), "{path:?}");
        }

        // Cylinders: new and refill orders, deposits that add up, returns with their ledger lines.
        assert!(summary.returns > 100, "{summary:?}");
        let orders = core.store().list_orders(Default::default(), PageRequest::new(Some(1), Some(100)).unwrap()).await;
        let kinds: std::collections::HashSet<_> = orders.unwrap().items.iter().map(|o| o.kind).collect();
        assert_eq!(kinds.len(), 2, "both kinds seeded");
        let deposits = core.deposits(&c.admin, PageRequest::default()).await.unwrap();
        assert!(deposits.total > 0 && deposits.balances.iter().all(|b| b.amount >= 0 && b.cylinders >= 0));
        let entries = gasstock_tests::fixtures::all_deposit_entries(&core, &c.admin).await;
        assert!(entries.len() > 100, "more than one page: {}", entries.len());
        assert_eq!(entries.iter().map(|e| e.amount).sum::<i64>(), deposits.total);
        let returns = core.returns(&c.admin, PageRequest::default()).await.unwrap();
        assert_eq!(returns.total as u64, summary.returns);
        for item in
            core.store().list_stock(Default::default(), PageRequest::new(None, Some(100)).unwrap()).await.unwrap().items
        {
            let ledger =
                core.store().list_movements(item.id, PageRequest::new(None, Some(100)).unwrap()).await.unwrap();
            assert!(ledger.total <= 100, "one page holds the ledger");
            let full: i64 = ledger.items.iter().map(|m| m.full_delta).sum();
            let empty: i64 = ledger.items.iter().map(|m| m.empty_delta).sum();
            assert_eq!((full, empty), (item.quantity, item.empties), "ledger of seeded item {}", item.id);
            assert_eq!(core.price_history(item.id).await.unwrap().len(), 1);
        }

        // Reviews: half of the delivered orders; each seller's rating is exactly their reviews'.
        assert!(summary.reviews > 1_000, "{summary:?}");
        let stock = core.store().list_stock(Default::default(), PageRequest::new(None, Some(100)).unwrap()).await;
        let sellers: std::collections::BTreeSet<i64> = stock.unwrap().items.iter().map(|i| i.seller_id).collect();
        assert_eq!(sellers.len(), 4);
        let mut reviews = 0;
        for seller in sellers {
            let profile = core.seller_profile(seller).await.unwrap();
            let mut ratings = Vec::new();
            for page in 1.. {
                let feedback = core.seller_reviews(seller, PageRequest::new(Some(page), Some(100)).unwrap()).await;
                let feedback = feedback.unwrap();
                ratings.extend(feedback.items.iter().map(|f| f.rating));
                if ratings.len() as i64 >= feedback.total || feedback.items.is_empty() {
                    break;
                }
            }
            assert_eq!(profile.reviews, ratings.len() as i64, "seller {seller}");
            let average = ratings.iter().map(|&r| r as f64).sum::<f64>() / ratings.len() as f64;
            assert_eq!(profile.rating, Some((average * 10.0).round() / 10.0), "seller {seller}");
            assert!(ratings.iter().all(|r| (1..=5).contains(r)) && ratings.iter().any(|&r| r < 5));
            reviews += ratings.len() as u64;
        }
        assert_eq!(reviews, summary.reviews);

        // Seeded accounts can sign in, and new rows get fresh ids after the seeded ones.
        assert_eq!(
            (summary.first_seller.as_str(), summary.first_buyer.as_str()),
            ("seller0.6@seed.gasstock.rw", "buyer0.6@seed.gasstock.rw")
        );
        let seller = core.verify_credentials(&summary.first_seller, "seed-password").await.unwrap();
        assert_eq!(seller.role, gasstock_core::domain::Role::Seller);
        let browse = core.browse_stock(&StockQuery::default(), PageRequest::default()).await.unwrap();
        let item = browse.items.iter().find(|i| i.quantity > 0).unwrap();
        let placed = order(&core, &c.buyer, item.id, 1).await;
        assert_eq!(placed.id, 25_001);

        // A second run adds to the first.
        let again = core.seed(plan(10), |_, _| {}).await.unwrap();
        assert_eq!(again.orders, 10);
        assert_eq!(again.first_seller, "seller0.20@seed.gasstock.rw", "a rerun's names follow the ids it gets");
        assert!(core.verify_credentials(&again.first_buyer, "seed-password").await.is_ok());
    })
    .await;
}
