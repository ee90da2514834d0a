use gasstock_core::domain::{is_legal_order_path, InvoiceStatus, OrderStatus, PaymentStatus};
use gasstock_core::Error;
use gasstock_tests::fixtures::{approve, cast, invoice, order, order_input, order_path, reject, stock, stock_input};
use gasstock_tests::for_each_backend;

fn conflict_code(err: &Error) -> &'static str {
    match err {
        Error::Conflict { code, .. } => code,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn the_whole_story_from_order_to_payment_and_feedback() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let item = stock(&core, &c.seller, 10, 15_000).await;

        let placed = order(&core, &c.buyer, item.id, 3).await;
        assert_eq!(placed.status, OrderStatus::Pending);
        assert_eq!((placed.unit_price, placed.total_amount, placed.seller_id), (15_000, 45_000, c.seller.user_id));
        assert_eq!(core.store().get_stock_item(item.id).await.unwrap().unwrap().quantity, 7, "reserved at once");

        // A later price change does not touch the order.
        core.upsert_stock_item(&c.seller, &stock_input("Jibu", "12kg", "Kigali", 7, 99_999)).await.unwrap();

        let approved = core.decide_order(&c.admin, placed.id, &approve()).await.unwrap();
        assert_eq!(approved.status, OrderStatus::Approved);

        let bill = core.submit_invoice(&c.seller, &invoice(placed.id, Some(2_000))).await.unwrap();
        assert_eq!((bill.amount, bill.delivery_fee, bill.status), (47_000, 2_000, InvoiceStatus::Pending));
        assert_eq!(core.order(&c.buyer, placed.id).await.unwrap().status, OrderStatus::Invoiced);

        let approved_bill = core.decide_invoice(&c.admin, bill.id, &approve()).await.unwrap();
        assert_eq!(approved_bill.status, InvoiceStatus::Approved);

        let delivery = core.confirm_delivery(&c.admin, placed.id).await.unwrap();
        assert_eq!(delivery.order.status, OrderStatus::Delivered);
        assert_eq!(delivery.payment.amount, 47_000);
        assert_eq!(delivery.payment.invoice_id, bill.id);
        assert_eq!(delivery.payment.seller_id, c.seller.user_id);
        assert_eq!(delivery.payment.status, PaymentStatus::Released);

        let feedback = core
            .leave_feedback(
                &c.buyer,
                &gasstock_core::commands::FeedbackInput {
                    order_id: placed.id,
                    rating: 4,
                    comment: Some("Fast".into()),
                },
            )
            .await
            .unwrap();
        assert_eq!((feedback.rating, feedback.seller_id), (4, c.seller.user_id));
        let rating = core.seller_rating(c.seller.user_id).await.unwrap();
        assert_eq!((rating.count, rating.average), (1, Some(4.0)));

        let history = core.order_history(&c.buyer, placed.id).await.unwrap();
        let path = order_path(core.store(), placed.id).await;
        assert_eq!(path, [OrderStatus::Pending, OrderStatus::Approved, OrderStatus::Invoiced, OrderStatus::Delivered]);
        assert!(is_legal_order_path(&path));
        assert!(history.iter().any(|e| e.entity == "payment" && e.to_status == "released"));
        assert!(history
            .iter()
            .any(|e| e.entity == "invoice" && e.to_status == "approved" && e.actor_id == Some(c.admin.user_id)));
    })
    .await;
}

#[tokio::test]
async fn reject_and_cancel_give_the_stock_back() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let item = stock(&core, &c.seller, 10, 100).await;
        let a = order(&core, &c.buyer, item.id, 4).await;
        let b = order(&core, &c.buyer, item.id, 5).await;
        let quantity = |core: gasstock_core::Gasstock| async move {
            core.store().get_stock_item(item.id).await.unwrap().unwrap().quantity
        };
        assert_eq!(quantity(core.clone()).await, 1);

        let rejected = core.decide_order(&c.admin, a.id, &reject("out of area")).await.unwrap();
        assert_eq!(rejected.status, OrderStatus::Rejected);
        assert_eq!(quantity(core.clone()).await, 5);
        let events = core.order_history(&c.admin, a.id).await.unwrap();
        assert_eq!(events.last().unwrap().reason.as_deref(), Some("out of area"));

        let cancelled = core.cancel_order(&c.buyer, b.id).await.unwrap();
        assert_eq!(cancelled.status, OrderStatus::Cancelled);
        assert_eq!(quantity(core.clone()).await, 10);

        // Terminal: no second return of stock.
        assert_eq!(conflict_code(&core.cancel_order(&c.buyer, b.id).await.unwrap_err()), "invalid_state");
        assert_eq!(conflict_code(&core.decide_order(&c.admin, a.id, &approve()).await.unwrap_err()), "invalid_state");
        assert_eq!(quantity(core.clone()).await, 10);
    })
    .await;
}

#[tokio::test]
async fn insufficient_stock_and_unknown_items() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let item = stock(&core, &c.seller, 2, 100).await;
        let err = core.place_order(&c.buyer, &order_input(item.id, 3), None).await.unwrap_err();
        match &err {
            Error::Conflict { code: "insufficient_stock", details: Some(details), .. } => {
                assert_eq!(details["available"], 2);
                assert_eq!(details["requested"], 3);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(core.place_order(&c.buyer, &order_input(9_999, 1), None).await, Err(Error::NotFound { .. })));
        assert!(matches!(core.place_order(&c.buyer, &order_input(item.id, 0), None).await, Err(Error::Invalid { .. })));
        assert!(matches!(
            core.place_order(&c.buyer, &order_input(item.id, -2), None).await,
            Err(Error::Invalid { .. })
        ));
        assert_eq!(core.store().get_stock_item(item.id).await.unwrap().unwrap().quantity, 2, "nothing reserved");
        assert_eq!(core.my_orders(&c.buyer, Default::default()).await.unwrap().total, 0, "no order written");
    })
    .await;
}

#[tokio::test]
async fn idempotent_retries_return_the_first_order() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let item = stock(&core, &c.seller, 10, 100).await;
        let (first, created) = core.place_order(&c.buyer, &order_input(item.id, 2), Some("key-1")).await.unwrap();
        assert!(created);
        let (retry, created) = core.place_order(&c.buyer, &order_input(item.id, 2), Some("key-1")).await.unwrap();
        assert!(!created);
        assert_eq!(retry.id, first.id);
        assert_eq!(core.store().get_stock_item(item.id).await.unwrap().unwrap().quantity, 8, "reserved once");

        let reused = core.place_order(&c.buyer, &order_input(item.id, 5), Some("key-1")).await.unwrap_err();
        assert_eq!(conflict_code(&reused), "idempotency_key_reused");

        // Keys belong to their buyer.
        let (theirs, created) =
            core.place_order(&c.other_buyer, &order_input(item.id, 2), Some("key-1")).await.unwrap();
        assert!(created && theirs.id != first.id);
    })
    .await;
}

#[tokio::test]
async fn illegal_transitions_are_conflicts() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let item = stock(&core, &c.seller, 10, 100).await;
        let placed = order(&core, &c.buyer, item.id, 1).await;

        // Pending: no invoice, no delivery, no feedback.
        let feedback = gasstock_core::commands::FeedbackInput { order_id: placed.id, rating: 5, comment: None };
        assert_eq!(
            conflict_code(&core.submit_invoice(&c.seller, &invoice(placed.id, None)).await.unwrap_err()),
            "invalid_state"
        );
        assert_eq!(conflict_code(&core.confirm_delivery(&c.admin, placed.id).await.unwrap_err()), "invalid_state");
        assert_eq!(conflict_code(&core.leave_feedback(&c.buyer, &feedback).await.unwrap_err()), "invalid_state");

        core.decide_order(&c.admin, placed.id, &approve()).await.unwrap();
        assert_eq!(
            conflict_code(&core.decide_order(&c.admin, placed.id, &approve()).await.unwrap_err()),
            "invalid_state"
        );
        assert_eq!(conflict_code(&core.cancel_order(&c.buyer, placed.id).await.unwrap_err()), "invalid_state");
        assert_eq!(conflict_code(&core.confirm_delivery(&c.admin, placed.id).await.unwrap_err()), "invalid_state");

        let bill = core.submit_invoice(&c.seller, &invoice(placed.id, None)).await.unwrap();
        assert_eq!(
            conflict_code(&core.submit_invoice(&c.seller, &invoice(placed.id, None)).await.unwrap_err()),
            "invalid_state"
        );
        assert_eq!(
            conflict_code(&core.confirm_delivery(&c.admin, placed.id).await.unwrap_err()),
            "invoice_not_approved"
        );

        // Rejected invoice: the order goes back to approved and can be invoiced again.
        let rejected = core.decide_invoice(&c.admin, bill.id, &reject("wrong fee")).await.unwrap();
        assert_eq!(rejected.status, InvoiceStatus::Rejected);
        assert_eq!(
            conflict_code(&core.decide_invoice(&c.admin, bill.id, &approve()).await.unwrap_err()),
            "invalid_state"
        );
        assert_eq!(core.order(&c.admin, placed.id).await.unwrap().status, OrderStatus::Approved);
        assert_eq!(conflict_code(&core.confirm_delivery(&c.admin, placed.id).await.unwrap_err()), "invalid_state");

        let second = core.submit_invoice(&c.seller, &invoice(placed.id, Some(500))).await.unwrap();
        assert_eq!(second.amount, 600);
        core.decide_invoice(&c.admin, second.id, &approve()).await.unwrap();
        let delivery = core.confirm_delivery(&c.admin, placed.id).await.unwrap();
        assert_eq!(delivery.payment.amount, 600, "paid from the approved invoice");
        assert_eq!(conflict_code(&core.confirm_delivery(&c.admin, placed.id).await.unwrap_err()), "already_delivered");

        core.leave_feedback(&c.buyer, &feedback).await.unwrap();
        assert_eq!(conflict_code(&core.leave_feedback(&c.buyer, &feedback).await.unwrap_err()), "duplicate_feedback");
        let bad_rating = gasstock_core::commands::FeedbackInput { rating: 6, ..feedback };
        assert!(matches!(core.leave_feedback(&c.buyer, &bad_rating).await, Err(Error::Invalid { .. })));

        let path = order_path(core.store(), placed.id).await;
        assert!(is_legal_order_path(&path), "{path:?}");
        assert_eq!(path.len(), 6, "pending, approved, invoiced, approved, invoiced, delivered");

        assert!(matches!(core.confirm_delivery(&c.admin, 9_999).await, Err(Error::NotFound { .. })));
        assert!(matches!(core.decide_invoice(&c.admin, 9_999, &approve()).await, Err(Error::NotFound { .. })));
        assert!(matches!(core.decide_order(&c.admin, 9_999, &approve()).await, Err(Error::NotFound { .. })));
    })
    .await;
}
