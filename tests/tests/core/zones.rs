//! Delivery zones in the core (issue 13), on every backend: who may set them, the refused
//! district leaving the stock untouched, and the invoice fee taken from the zone.

use gasstock_core::commands::zones::ZoneInput;
use gasstock_core::commands::OrderInput;
use gasstock_core::domain::Role;
use gasstock_core::Error;
use gasstock_tests::fixtures::{approve, invoice, stock, user};
use gasstock_tests::for_each_backend;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_must_name_a_served_district_and_its_invoice_takes_the_zone_fee() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let (seller, buyer, admin) = (
            user(&core, Role::Seller, "seller").await,
            user(&core, Role::Buyer, "buyer").await,
            user(&core, Role::Admin, "admin").await,
        );
        let zones = [ZoneInput { district: "musanze".into(), fee: 1200 }];
        assert!(matches!(core.set_zones(&buyer, &zones).await, Err(Error::Forbidden(_))));
        assert!(matches!(core.set_zones(&admin, &zones).await, Err(Error::Forbidden(_))));
        let set = core.set_zones(&seller, &zones).await.unwrap();
        assert_eq!((set[0].district.as_str(), set[0].fee), ("Musanze", 1200));
        let item = stock(&core, &seller, 4, 5000).await;
        let input = |district: &str| OrderInput {
            inventory_id: item.id,
            quantity: 3,
            delivery_address: None,
            note: None,
            delivery_district: Some(district.into()),
            kind: None,
            payment_method: None,
            payer_phone: None,
        };
        let refused = core.place_order(&buyer, &input("Huye"), None).await;
        assert!(matches!(&refused, Err(Error::Invalid { field, .. }) if field == "delivery_district"), "{refused:?}");
        assert_eq!(core.stock_item(item.id).await.unwrap().quantity, 4, "the reservation rolled back");
        let (order, _) = core.place_order(&buyer, &input("MUSANZE"), None).await.unwrap();
        assert_eq!((order.delivery_district.as_deref(), order.quantity), (Some("Musanze"), 3));
        assert_eq!(core.stock_item(item.id).await.unwrap().quantity, 1);
        core.decide_order(&admin, order.id, &approve()).await.unwrap();
        let bill = core.submit_invoice(&seller, &invoice(order.id, None)).await.unwrap();
        assert_eq!((bill.delivery_fee, bill.amount), (1200, 3 * 5000 + 1200));
    })
    .await;
}
