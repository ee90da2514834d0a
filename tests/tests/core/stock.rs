use gasstock_core::commands::{PageRequest, StockQuery};
use gasstock_core::domain::Role;
use gasstock_core::Error;
use gasstock_tests::fixtures::{stock_input, user};
use gasstock_tests::for_each_backend;

fn query(brand: Option<&str>, weight: Option<&str>, location: Option<&str>) -> StockQuery {
    StockQuery { brand: brand.map(Into::into), weight: weight.map(Into::into), location: location.map(Into::into) }
}

#[tokio::test]
async fn upsert_creates_then_updates_by_key() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let seller = user(&core, Role::Seller, "seller").await;
        let (item, created) =
            core.upsert_stock_item(&seller, &stock_input("Jibu", "12kg", "Kigali", 10, 15000)).await.unwrap();
        assert!(created);
        assert_eq!((item.quantity, item.unit_price, item.weight_kg.grams()), (10, 15000, 12_000));
        assert_eq!(item.seller_name, "seller");
        assert_eq!(item.currency.as_str(), "RWF");

        // Same key, spelled differently: an update of the same item.
        let (again, created) =
            core.upsert_stock_item(&seller, &stock_input("JIBU", "12", "kigali", 4, 16000)).await.unwrap();
        assert!(!created);
        assert_eq!(again.id, item.id);
        assert_eq!((again.quantity, again.unit_price), (4, 16000));

        let (other, created) =
            core.upsert_stock_item(&seller, &stock_input("Jibu", "12.5 KG", "Kigali", 1, 1)).await.unwrap();
        assert!(created && other.id != item.id, "another weight is another item");
    })
    .await;
}

#[tokio::test]
async fn invalid_stock_is_refused_and_nothing_written() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let seller = user(&core, Role::Seller, "seller").await;
        for (input, field) in [
            (stock_input("Jibu", "heavy", "Kigali", 1, 1), "weight"),
            (stock_input("Jibu", "0kg", "Kigali", 1, 1), "weight"),
            (stock_input("Jibu", "12", "Kigali", -1, 1), "quantity"),
            (stock_input("Jibu", "12", "Kigali", 1, -1), "unit_price"),
            (stock_input(" ", "12", "Kigali", 1, 1), "brand"),
        ] {
            let err = core.upsert_stock_item(&seller, &input).await.unwrap_err();
            assert!(matches!(&err, Error::Invalid { field: f, .. } if f == field), "{err:?}");
        }
        assert_eq!(core.seller_inventory(&seller, PageRequest::default()).await.unwrap().total, 0);
    })
    .await;
}

#[tokio::test]
async fn browse_filters_case_insensitively_and_hides_empty_items() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let seller = user(&core, Role::Seller, "seller").await;
        let other = user(&core, Role::Seller, "other").await;
        for (who, brand, weight, location, quantity) in [
            (&seller, "Jibu", "12kg", "Kigali", 5),
            (&seller, "Jibu", "6kg", "Kigali", 5),
            (&seller, "Total", "12kg", "Huye", 5),
            (&seller, "Jibu", "12kg", "Musanze", 0),
            (&other, "jibu", "12 kg", "KIGALI", 3),
        ] {
            core.upsert_stock_item(who, &stock_input(brand, weight, location, quantity, 100)).await.unwrap();
        }
        let page = PageRequest::default();
        let count = |q: StockQuery| {
            let core = core.clone();
            async move { core.browse_stock(&q, page).await.unwrap() }
        };
        assert_eq!(count(query(None, None, None)).await.total, 4, "quantity 0 is not for sale");
        let jibu = count(query(Some("jibu"), None, None)).await;
        assert_eq!(jibu.total, 3);
        assert!(jibu.items.iter().all(|item| item.brand.eq_ignore_ascii_case("jibu")));
        assert_eq!(count(query(None, Some("12"), None)).await.total, 3);
        assert_eq!(count(query(Some("JIBU"), Some("12kg"), Some("kigali"))).await.total, 2);
        assert_eq!(count(query(None, None, Some("huye"))).await.total, 1);
        assert_eq!(count(query(Some("nope"), None, None)).await.total, 0);
        assert!(matches!(core.browse_stock(&query(None, Some("12lb"), None), page).await, Err(Error::Invalid { .. })));

        // The seller's own list includes the empty item and nobody else's.
        let own = core.seller_inventory(&seller, page).await.unwrap();
        assert_eq!(own.total, 4);
        assert!(own.items.iter().all(|item| item.seller_id == seller.user_id));
    })
    .await;
}

#[tokio::test]
async fn paging_reports_the_true_total_on_every_page() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let seller = user(&core, Role::Seller, "seller").await;
        for n in 1..=7 {
            core.upsert_stock_item(&seller, &stock_input("Jibu", &format!("{n}kg"), "Kigali", 1, 100)).await.unwrap();
        }
        let q = query(None, None, None);
        let mut seen = Vec::new();
        for page in 1..=3 {
            let result = core.browse_stock(&q, PageRequest::new(Some(page), Some(3)).unwrap()).await.unwrap();
            assert_eq!((result.page, result.per_page, result.total), (page as u32, 3, 7));
            seen.extend(result.items.into_iter().map(|item| item.id));
        }
        assert_eq!(seen.len(), 7);
        seen.dedup();
        assert_eq!(seen.len(), 7, "no item twice");
        let past_end = core.browse_stock(&q, PageRequest::new(Some(9), Some(3)).unwrap()).await.unwrap();
        assert!(past_end.items.is_empty());
        assert_eq!(past_end.total, 7);
    })
    .await;
}
