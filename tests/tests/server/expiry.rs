//! Expiry through the real server on both backends: a short GASSTOCK_PENDING_TTL takes effect
//! within seconds (the sweep's period follows the shortest TTL).

use std::time::Duration;

use gasstock_tests::Backend;

use crate::support::App;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_order_expires_after_a_short_ttl_and_its_stock_returns() {
    for backend in Backend::available() {
        let app = App::start_with(backend, |config| config.pending_ttl = Duration::from_secs(1)).await;
        let m = app.market().await;
        let order = app.order(&m.buyer, m.item, 3).await;
        let id = order["id"].as_i64().unwrap();
        assert_eq!(app.quantity(&m.seller, m.item).await, 2);
        let mut status = String::new();
        for _ in 0..500 {
            status =
                app.get(&format!("/api/v1/orders/{id}"), &m.buyer).await.body["status"].as_str().unwrap().to_owned();
            if status == "expired" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(status, "expired");
        assert_eq!(app.quantity(&m.seller, m.item).await, 5, "the 3 cylinders are back");
        let listed = app.get("/api/v1/seller/orders?status=expired", &m.seller).await;
        assert_eq!(listed.expect(200, "filter")["total"], 1);
        let feed = app.get("/api/v1/notifications", &m.buyer).await;
        assert!(feed.body["items"].as_array().unwrap().iter().any(|n| n["event"] == "order.expired"));
        app.patch(&format!("/api/v1/admin/orders/{id}/approve"), &m.admin, Some(serde_json::json!({"approve": true})))
            .await
            .expect_error(409, "invalid_state", "approve an expired order");
    }
}
