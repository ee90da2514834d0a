use gasstock_core::commands::PageRequest;
use gasstock_core::{Actor, Error, Gasstock};
use gasstock_tests::fixtures::{approve, cast, invoice, order, reject, stock, user};
use gasstock_tests::for_each_backend;

/// The event types of an actor's notifications, oldest first.
async fn events(core: &Gasstock, actor: &Actor) -> Vec<String> {
    core.notifications_after(actor, 0, 1000).await.unwrap().into_iter().map(|n| n.event).collect()
}

#[tokio::test]
async fn each_step_notifies_exactly_the_users_concerned() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let second_admin = user(&core, gasstock_core::domain::Role::Admin, "admin2").await;
        let item = stock(&core, &c.seller, 10, 1_000).await;

        let placed = order(&core, &c.buyer, item.id, 2).await;
        core.decide_order(&c.admin, placed.id, &approve()).await.unwrap();
        let first_bill = core.submit_invoice(&c.seller, &invoice(placed.id, None)).await.unwrap();
        core.decide_invoice(&c.admin, first_bill.id, &reject("fee missing")).await.unwrap();
        let bill = core.submit_invoice(&c.seller, &invoice(placed.id, Some(50))).await.unwrap();
        core.decide_invoice(&c.admin, bill.id, &approve()).await.unwrap();
        core.confirm_delivery(&c.admin, placed.id).await.unwrap();

        assert_eq!(
            events(&core, &c.buyer).await,
            ["order.approved", "order.invoiced", "order.invoiced", "order.delivered"]
        );
        assert_eq!(
            events(&core, &c.seller).await,
            ["order.created", "order.approved", "invoice.rejected", "invoice.approved", "payment.released"]
        );
        let admin_events = ["order.created", "invoice.submitted", "invoice.submitted"];
        assert_eq!(events(&core, &c.admin).await, admin_events);
        assert_eq!(events(&core, &second_admin).await, admin_events, "every admin hears of the queues");
        assert!(events(&core, &c.other_buyer).await.is_empty(), "nothing for a bystander");
        assert!(events(&core, &c.other_seller).await.is_empty());

        let seller_notes = core.notifications_after(&c.seller, 0, 1000).await.unwrap();
        let rejected = seller_notes.iter().find(|n| n.event == "invoice.rejected").unwrap();
        assert_eq!((rejected.order_id, rejected.invoice_id), (Some(placed.id), Some(first_bill.id)));
        assert!(rejected.message.contains("fee missing"), "{}", rejected.message);
        assert!(seller_notes.iter().any(|n| n.event == "payment.released" && n.payment_id.is_some()));
    })
    .await;
}

#[tokio::test]
async fn reading_marks_only_ones_own_notifications() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let item = stock(&core, &c.seller, 10, 1_000).await;
        for _ in 0..3 {
            let placed = order(&core, &c.buyer, item.id, 1).await;
            core.decide_order(&c.admin, placed.id, &approve()).await.unwrap();
        }
        let page = PageRequest::default();
        let unread = core.notifications(&c.buyer, true, page).await.unwrap();
        assert_eq!(unread.total, 3);
        assert!(unread.items.windows(2).all(|w| w[0].id > w[1].id), "newest first");

        let first = &unread.items[2];
        assert!(matches!(core.mark_notification_read(&c.other_buyer, first.id).await, Err(Error::NotFound { .. })));
        let read = core.mark_notification_read(&c.buyer, first.id).await.unwrap();
        assert!(read.read_at.is_some());
        let again = core.mark_notification_read(&c.buyer, first.id).await.unwrap();
        assert_eq!(again.read_at, read.read_at, "the first reading time is kept");
        assert_eq!(core.notifications(&c.buyer, true, page).await.unwrap().total, 2);
        assert_eq!(core.notifications(&c.buyer, false, page).await.unwrap().total, 3);

        assert_eq!(core.mark_all_notifications_read(&c.buyer).await.unwrap(), 2);
        assert_eq!(core.notifications(&c.buyer, true, page).await.unwrap().total, 0);
        assert!(core.notifications(&c.seller, true, page).await.unwrap().total > 0, "the seller's stay unread");

        let all = core.notifications_after(&c.buyer, 0, 1000).await.unwrap();
        let after_first = core.notifications_after(&c.buyer, all[0].id, 1000).await.unwrap();
        assert_eq!(after_first, all[1..], "replay after an id gives exactly the later ones, in order");
        assert_eq!(core.last_notification_id(&c.buyer).await.unwrap(), all.last().unwrap().id);
        assert_eq!(core.last_notification_id(&c.other_buyer).await.unwrap(), 0);
    })
    .await;
}
