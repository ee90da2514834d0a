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
