use gasstock_core::commands::{FeedbackInput, PageRequest};
use gasstock_core::{Actor, Error, Gasstock};
use gasstock_tests::fixtures::{approve, cast, invoice, order, order_input, stock, stock_input, Cast};
use gasstock_tests::for_each_backend;

fn forbidden<T: std::fmt::Debug>(result: Result<T, Error>) {
    assert!(matches!(result, Err(Error::Forbidden(_))), "expected Forbidden, got {result:?}");
}

fn not_found<T: std::fmt::Debug>(result: Result<T, Error>) {
    assert!(matches!(result, Err(Error::NotFound { .. })), "expected NotFound, got {result:?}");
}

/// Every role-restricted operation, run as `actor`; collects which ones were refused.
async fn refused_operations(core: &Gasstock, c: &Cast, actor: &Actor, order_id: i64) -> Vec<&'static str> {
    let page = PageRequest::default();
    let item = stock_input("Jibu", "6kg", "Huye", 1, 1);
    let mut refused = Vec::new();
    let mut check = |name: &'static str, result: Result<(), Error>| {
        if matches!(result, Err(Error::Forbidden(_))) {
            refused.push(name);
        }
    };
    check("upsert_stock", core.upsert_stock_item(actor, &item).await.map(drop));
    check("seller_inventory", core.seller_inventory(actor, page).await.map(drop));
    check("seller_orders", core.seller_orders(actor, None, page).await.map(drop));
    check("place_order", core.place_order(actor, &order_input(1, 1), None).await.map(drop));
    check("my_orders", core.my_orders(actor, page).await.map(drop));
    check("pending_orders", core.pending_orders(actor, page).await.map(drop));
    check("pending_invoices", core.pending_invoices(actor, page).await.map(drop));
    check("list_users", core.list_users(actor, None, page).await.map(drop));
    check("decide_invoice", core.decide_invoice(actor, 9_999, &approve()).await.map(drop));
    check("confirm_delivery", core.confirm_delivery(actor, 9_999).await.map(drop));
    check("decide_order", core.decide_order(actor, 9_999, &approve()).await.map(drop));
    check("submit_invoice", core.submit_invoice(actor, &invoice(order_id, None)).await.map(drop));
    let feedback = FeedbackInput { order_id, rating: 5, comment: None };
    check("leave_feedback", core.leave_feedback(actor, &feedback).await.map(drop));
    let _ = c;
    refused
}

#[tokio::test]
async fn each_role_may_do_only_its_own_operations() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let item = stock(&core, &c.seller, 100, 10).await;
        let placed = order(&core, &c.buyer, item.id, 1).await;

        let buyer_refused = refused_operations(&core, &c, &c.buyer, placed.id).await;
        assert_eq!(
            buyer_refused,
            [
                "upsert_stock",
                "seller_inventory",
                "seller_orders",
                "pending_orders",
                "pending_invoices",
                "list_users",
                "decide_invoice",
                "confirm_delivery",
                "decide_order",
                "submit_invoice"
            ]
        );
        let seller_refused = refused_operations(&core, &c, &c.seller, placed.id).await;
        assert_eq!(
            seller_refused,
            [
                "place_order",
                "my_orders",
                "pending_orders",
                "pending_invoices",
                "list_users",
                "decide_invoice",
                "confirm_delivery",
                "decide_order",
                "leave_feedback"
            ]
        );
        let admin_refused = refused_operations(&core, &c, &c.admin, placed.id).await;
        assert_eq!(
            admin_refused,
            [
                "upsert_stock",
                "seller_inventory",
                "seller_orders",
                "place_order",
                "my_orders",
                "submit_invoice",
                "leave_feedback"
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn other_peoples_orders_are_invisible() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let item = stock(&core, &c.seller, 100, 10).await;
        let placed = order(&core, &c.buyer, item.id, 1).await;

        assert_eq!(core.order(&c.buyer, placed.id).await.unwrap().id, placed.id);
        assert_eq!(core.order(&c.seller, placed.id).await.unwrap().id, placed.id);
        assert_eq!(core.order(&c.admin, placed.id).await.unwrap().id, placed.id);
        not_found(core.order(&c.other_buyer, placed.id).await);
        not_found(core.order(&c.other_seller, placed.id).await);
        not_found(core.order_history(&c.other_buyer, placed.id).await);
        not_found(core.cancel_order(&c.other_buyer, placed.id).await);

        core.decide_order(&c.admin, placed.id, &approve()).await.unwrap();
        not_found(core.submit_invoice(&c.other_seller, &invoice(placed.id, None)).await);
        forbidden(core.cancel_order(&c.seller, placed.id).await);

        assert_eq!(core.my_orders(&c.other_buyer, PageRequest::default()).await.unwrap().total, 0);
        assert_eq!(core.seller_orders(&c.other_seller, None, PageRequest::default()).await.unwrap().total, 0);
        assert_eq!(core.seller_orders(&c.seller, None, PageRequest::default()).await.unwrap().total, 1);
        // Nothing above changed the order.
        assert_eq!(core.order(&c.admin, placed.id).await.unwrap().status, gasstock_core::domain::OrderStatus::Approved);
    })
    .await;
}
