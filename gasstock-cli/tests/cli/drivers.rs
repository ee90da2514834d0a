//! `gasstock users create-driver` (issue 13).

use gasstock_core::commands::PageRequest;
use gasstock_tests::fixtures::cast;
use gasstock_tests::for_each_backend;

use crate::harness::{gasstock, ADMIN, SELLER};

#[tokio::test]
async fn an_admin_creates_a_driver_for_a_seller() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let args = |seller: &'static str, email: &'static str| {
            vec![
                "users",
                "create-driver",
                "--seller",
                seller,
                "--email",
                email,
                "--name",
                "Jean",
                "--phone",
                "+250788000111",
                "--password-stdin",
                "--format",
                "json",
            ]
        };
        let created = gasstock(&db, Some(ADMIN), &args(SELLER, "Jean@Example.rw"), Some(b"driver pass 1\n")).json();
        assert_eq!((created["email"].as_str(), created["role"].as_str()), (Some("jean@example.rw"), Some("driver")));
        assert_eq!(created["seller_id"], c.seller.user_id);
        assert!(created.get("password_hash").is_none());
        core.verify_credentials("jean@example.rw", "driver pass 1").await.expect("the driver signs in");
        let drivers = core.seller_drivers(&c.seller, PageRequest::default()).await.unwrap();
        assert_eq!(drivers.total, 1, "listed among the seller's drivers");

        // Only for a seller, only by an admin, never with the password on the command line.
        let buyer = gasstock(&db, Some(ADMIN), &args("buyer@example.rw", "x@example.rw"), Some(b"driver pass 1\n"));
        buyer.expect_code(2);
        assert!(buyer.stderr.contains("not a seller"), "{}", buyer.stderr);
        let stranger = gasstock(&db, Some(ADMIN), &args("nobody@example.rw", "y@example.rw"), Some(b"driver pass 1\n"));
        assert_ne!(stranger.code, 0, "unknown seller: {}", stranger.stderr);
        let not_admin = gasstock(&db, Some(SELLER), &args(SELLER, "z@example.rw"), Some(b"driver pass 1\n"));
        assert_ne!(not_admin.code, 0, "a seller is not an admin: {}", not_admin.stderr);
        gasstock(
            &db,
            Some(ADMIN),
            &["users", "create-driver", "--seller", SELLER, "--email", "w@example.rw", "--name", "W"],
            None,
        )
        .expect_code(2);
        let listed =
            gasstock(&db, Some(ADMIN), &["users", "list", "--role", "driver", "--format", "json"], None).json();
        assert_eq!(listed.as_array().map(Vec::len), Some(1));
    })
    .await;
}

#[tokio::test]
async fn report_deliveries_counts_per_seller_and_driver() {
    use gasstock_core::commands::driver::{CompleteInput, DispatchInput, DriverInput, FailInput};
    use gasstock_tests::fixtures::{approve, invoice, order, stock};
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let new_driver = |email: &'static str| DriverInput {
            email: email.into(),
            password: "driver pass 1".into(),
            name: email.split('@').next().unwrap().into(),
            phone: None,
        };
        let jean = core.create_driver(&c.seller, &new_driver("jean@example.rw")).await.unwrap();
        let eric = core.create_driver(&c.seller, &new_driver("eric@example.rw")).await.unwrap();
        let jean_actor = gasstock_core::Actor::new(jean.id, gasstock_core::domain::Role::Driver);
        let item = stock(&core, &c.seller, 10, 1000).await;
        let mut dispatched = Vec::new();
        for _ in 0..3 {
            let placed = order(&core, &c.buyer, item.id, 1).await;
            core.decide_order(&c.admin, placed.id, &approve()).await.unwrap();
            let bill = core.submit_invoice(&c.seller, &invoice(placed.id, None)).await.unwrap();
            core.decide_invoice(&c.admin, bill.id, &approve()).await.unwrap();
            core.dispatch(&c.seller, placed.id, &DispatchInput { driver_id: jean.id }).await.unwrap();
            dispatched.push(placed.id);
        }
        for id in &dispatched[..2] {
            let code = core.order_view(&c.buyer, *id).await.unwrap().handover_code.unwrap();
            core.complete_delivery(&jean_actor, *id, &CompleteInput { code, empties_received: None }).await.unwrap();
        }
        let reason = FailInput { reason: "nobody home".into() };
        core.fail_delivery(&jean_actor, dispatched[2], &reason).await.unwrap();
        core.dispatch(&c.seller, dispatched[2], &DispatchInput { driver_id: eric.id }).await.unwrap();

        let report = gasstock(&db, Some(ADMIN), &["report", "deliveries", "--format", "json"], None).json();
        let rows = report.as_array().unwrap();
        assert_eq!(rows.len(), 2, "{report}");
        let row = |driver: i64| rows.iter().find(|r| r["driver_id"] == driver).unwrap();
        let counts = |r: &serde_json::Value| {
            (r["dispatched"].as_i64(), r["delivered"].as_i64(), r["failed"].as_i64(), r["seller_id"].as_i64())
        };
        assert_eq!(counts(row(jean.id)), (Some(3), Some(2), Some(1), Some(c.seller.user_id)));
        assert!(row(jean.id)["median_delivery_secs"].as_i64().is_some_and(|s| s >= 0));
        assert_eq!(counts(row(eric.id)), (Some(1), Some(0), Some(0), Some(c.seller.user_id)));
        assert_eq!(row(eric.id)["median_delivery_secs"], serde_json::Value::Null, "nothing delivered yet");
        let table = gasstock(&db, Some(ADMIN), &["report", "deliveries"], None);
        table.expect_code(0);
        assert!(table.stdout.contains("median_time_to_deliver") && table.stdout.contains("jean"), "{}", table.stdout);
        gasstock(&db, Some(SELLER), &["report", "deliveries"], None).expect_code(1);
    })
    .await;
}
