//! `stock.low` over HTTP (issue 11), on every backend: the seller's threshold set with
//! `POST /seller/inventory`, an order and an adjustment crossing it, the seller's feed.

use gasstock_tests::Backend;
use serde_json::{json, Value};

use crate::support::App;

/// The caller's `stock.low` notifications, oldest first.
async fn lows(app: &App, token: &str) -> Vec<Value> {
    let page = app.get("/api/v1/notifications?per_page=100", token).await.expect(200, "notifications").clone();
    let mut all: Vec<Value> =
        page["items"].as_array().unwrap().iter().filter(|n| n["event"] == "stock.low").cloned().collect();
    all.reverse();
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_and_an_adjustment_crossing_the_threshold_reach_the_sellers_feed() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start(backend).await;
        let (_, seller) = app.user("seller@gas.rw", "seller").await;
        let (_, buyer) = app.user("buyer@gas.rw", "buyer").await;
        let body = json!({"brand": "Jibu", "weight": 12, "location": "Kigali", "quantity": 6, "unit_price": 15000,
            "low_stock_threshold": 5});
        let item = app.post("/api/v1/seller/inventory", &seller, body).await.expect(201, "add").clone();
        let id = item["id"].as_i64().unwrap();

        let first = app.order(&buyer, id, 1).await; // 6 -> 5: not below
        assert!(lows(&app, &seller).await.is_empty());
        let crossing = app.order(&buyer, id, 1).await; // 5 -> 4
        app.order(&buyer, id, 1).await; // 4 -> 3: already below
        let seen = lows(&app, &seller).await;
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!((seen[0]["inventory_id"].as_i64(), seen[0]["order_id"].clone()), (Some(id), crossing["id"].clone()));
        assert_ne!(crossing["id"], first["id"]);
        assert!(lows(&app, &buyer).await.is_empty(), "the buyer is not told");
        // The buyer's order history shows the order's own events only.
        let history = app.get(&format!("/api/v1/orders/{}/history", crossing["id"]), &buyer).await;
        let history = history.expect(200, "history").clone();
        assert!(history.as_array().unwrap().iter().all(|e| e["entity"] == "order"), "{history}");

        // An adjustment up re-arms it; one down crosses again, with no order.
        let path = format!("/api/v1/seller/inventory/{id}/adjustments");
        let up = json!({"full_delta": 4, "empty_delta": 0, "reason": "found"});
        app.post(&path, &seller, up).await.expect(201, "up");
        let down = json!({"full_delta": -3, "empty_delta": 0, "reason": "damaged"});
        app.post(&path, &seller, down).await.expect(201, "down");
        let seen = lows(&app, &seller).await;
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert_eq!((seen[1]["inventory_id"].as_i64(), seen[1]["order_id"].clone()), (Some(id), Value::Null));
        assert!(seen[1]["message"].as_str().unwrap().contains("4 full left, threshold 5"), "{}", seen[1]);
    }
}
