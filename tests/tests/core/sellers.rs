//! Choosing a seller in the core (issue 13), on every backend: ratings rounded to one
//! decimal, distances from the district table, and the profile of a seller.

use gasstock_core::commands::browse::BrowseQuery;
use gasstock_core::commands::{FeedbackInput, PageRequest, StockQuery};
use gasstock_core::domain::{distance_km, parse_district, Role};
use gasstock_core::Error;
use gasstock_tests::fixtures::{approve, invoice, order, stock_input, user};
use gasstock_tests::for_each_backend;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_near_rounds_ratings_and_distances_to_one_decimal() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let (seller, buyer, admin) = (
            user(&core, Role::Seller, "seller").await,
            user(&core, Role::Buyer, "buyer").await,
            user(&core, Role::Admin, "admin").await,
        );
        let (item, _) =
            core.upsert_stock_item(&seller, &stock_input("Jibu", "12kg", "Musanze", 10, 1000)).await.unwrap();
        for rating in [3, 3, 4] {
            let placed = order(&core, &buyer, item.id, 1).await;
            core.decide_order(&admin, placed.id, &approve()).await.unwrap();
            let bill = core.submit_invoice(&seller, &invoice(placed.id, None)).await.unwrap();
            core.decide_invoice(&admin, bill.id, &approve()).await.unwrap();
            core.confirm_delivery(&admin, placed.id).await.unwrap();
            core.leave_feedback(&buyer, &FeedbackInput { order_id: placed.id, rating, comment: None }).await.unwrap();
        }
        let query =
            BrowseQuery { stock: StockQuery::default(), near: Some("nyarugenge".into()), sort: None, max_km: None };
        let page = core.browse(&query, PageRequest::default()).await.unwrap();
        let found = &page.items[0];
        assert_eq!((found.seller_rating, found.seller_reviews), (Some(3.3), 3), "10/3 shown as 3.3");
        let expected = distance_km(parse_district("Nyarugenge", "x").unwrap(), parse_district("Musanze", "x").unwrap());
        assert_eq!(found.distance_km, Some((expected * 10.0).round() / 10.0));
        let profile = core.seller_profile(seller.user_id).await.unwrap();
        assert_eq!((profile.rating, profile.reviews), (Some(3.3), 3));
        // The kept totals agree with averaging the feedback itself.
        let averaged = core.seller_rating(seller.user_id).await.unwrap();
        assert_eq!(
            (averaged.average.map(|a| (a * 10.0).round() / 10.0), averaged.count),
            (profile.rating, profile.reviews)
        );
        assert!(matches!(core.seller_profile(buyer.user_id).await, Err(Error::NotFound { .. })));
        let far = BrowseQuery { max_km: Some(expected - 1.0), ..query };
        assert_eq!(core.browse(&far, PageRequest::default()).await.unwrap().total, 0);
    })
    .await;
}
