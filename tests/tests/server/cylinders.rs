//! Cylinders over HTTP (issue 11), on every backend: a new sale and a refill, the ledger,
//! refills and adjustments, a return against deposits, the deposits per role, price history.

use gasstock_tests::Backend;
use serde_json::{json, Value};

use crate::support::App;

/// Approve, invoice (no fee), approve the invoice, confirm delivery; returns the invoice.
async fn deliver(app: &App, seller: &str, admin: &str, order_id: i64) -> Value {
    app.patch(&format!("/api/v1/admin/orders/{order_id}/approve"), admin, Some(json!({"approve": true})))
        .await
        .expect(200, "approve");
    let invoice = app.post("/api/v1/seller/invoice", seller, json!({"order_id": order_id})).await;
    let invoice = invoice.expect(201, "invoice").clone();
    let id = invoice["id"].as_i64().unwrap();
    app.patch(&format!("/api/v1/admin/invoices/{id}/approve"), admin, Some(json!({"approve": true})))
        .await
        .expect(200, "approve invoice");
    app.patch(&format!("/api/v1/admin/delivery/{order_id}/confirm"), admin, None).await.expect(200, "deliver");
    invoice
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_sale_a_refill_a_return_and_the_ledger() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start(backend).await;
        let (seller_id, seller) = app.user("seller@gas.rw", "seller").await;
        let (_, other_seller) = app.user("seller2@gas.rw", "seller").await;
        let (buyer_id, buyer) = app.user("buyer@gas.rw", "buyer").await;
        let (_, admin) = app.admin("admin@gas.rw").await;

        let body = json!({"brand": "Jibu", "weight": 12, "location": "Kigali", "quantity": 10, "unit_price": 15000,
            "empties": 2, "deposit": 40000, "low_stock_threshold": 3});
        let item = app.post("/api/v1/seller/inventory", &seller, body).await.expect(201, "add").clone();
        assert_eq!((item["empties"].as_i64(), item["deposit"].as_i64()), (Some(2), Some(40_000)));
        assert_eq!(item["low_stock_threshold"], 3);
        let id = item["id"].as_i64().unwrap();
        // An existing client's body (no new fields) keeps them.
        let plain = json!({"brand": "Jibu", "weight": 12, "location": "Kigali", "quantity": 10, "unit_price": 15000});
        let kept = app.post("/api/v1/seller/inventory", &seller, plain).await.expect(200, "update").clone();
        assert_eq!((kept["empties"].as_i64(), kept["deposit"].as_i64()), (Some(2), Some(40_000)));
        let bad = json!({"brand": "J", "weight": 12, "location": "K", "quantity": 1, "unit_price": 1, "deposit": -1});
        app.post("/api/v1/seller/inventory", &seller, bad).await.expect_error(422, "invalid", "negative deposit");

        // A new sale: gas plus deposits; a refill (no kind): gas only.
        let new = app.post("/api/v1/orders", &buyer, json!({"inventory_id": id, "quantity": 2, "kind": "new"})).await;
        let new = new.expect(201, "new sale").clone();
        assert_eq!((new["kind"].as_str(), new["total_amount"].as_i64()), (Some("new"), Some(110_000)));
        assert_eq!(new["deposit_amount"], 80_000);
        let refill = app.order(&buyer, id, 1).await;
        assert_eq!((refill["kind"].as_str(), refill["total_amount"].as_i64()), (Some("refill"), Some(15_000)));
        app.post("/api/v1/orders", &buyer, json!({"inventory_id": id, "quantity": 1, "kind": "swap"}))
            .await
            .expect_error(400, "invalid_body", "unknown kind");
        let invoice = deliver(&app, &seller, &admin, new["id"].as_i64().unwrap()).await;
        assert_eq!((invoice["amount"].as_i64(), invoice["deposit_amount"].as_i64()), (Some(110_000), Some(80_000)));
        deliver(&app, &seller, &admin, refill["id"].as_i64().unwrap()).await;
        let now = app.get(&format!("/api/v1/gas/{id}"), &buyer).await.expect(200, "item").clone();
        assert_eq!((now["quantity"].as_i64(), now["empties"].as_i64()), (Some(7), Some(3)));

        // The seller refills 3 empties; a 4th is a 409.
        let path = format!("/api/v1/seller/inventory/{id}/refill");
        let done = app.post(&path, &seller, json!({"quantity": 3})).await.expect(200, "refill").clone();
        assert_eq!((done["item"]["quantity"].as_i64(), done["item"]["empties"].as_i64()), (Some(10), Some(0)));
        assert_eq!(done["movement"]["reason"], "refill");
        app.post(&path, &seller, json!({"quantity": 1})).await.expect_error(409, "insufficient_stock", "no empties");
        app.post(&path, &buyer, json!({"quantity": 1})).await.expect_error(403, "forbidden", "buyer refill");
        app.post(&path, &other_seller, json!({"quantity": 1})).await.expect_error(404, "not_found", "other seller");
        app.post(&path, &seller, json!({"quantity": 0})).await.expect_error(422, "invalid", "zero refill");

        // Adjustments: 201 with the movement; never below zero; known reasons only.
        let path = format!("/api/v1/seller/inventory/{id}/adjustments");
        let lost = json!({"full_delta": -1, "empty_delta": 0, "reason": "lost", "note": "stolen"});
        let lost = app.post(&path, &seller, lost).await.expect(201, "adjust").clone();
        assert_eq!(
            (lost["movement"]["reason"].as_str(), lost["movement"]["note"].as_str()),
            (Some("lost"), Some("stolen"))
        );
        let under = json!({"full_delta": 0, "empty_delta": -1, "reason": "damaged"});
        app.post(&path, &admin, under).await.expect_error(409, "insufficient_stock", "below zero");
        app.post(&path, &seller, json!({"full_delta": 1, "reason": "gift"})).await.expect_error(
            400,
            "invalid_body",
            "unknown reason",
        );
        app.post(&path, &seller, json!({"full_delta": 2_000_000_000, "reason": "found"})).await.expect_error(
            422,
            "invalid",
            "past the bound",
        );

        // The buyer returns 2 cylinders: 3 is more than held (409); the seller settles, 1 damaged.
        let too_many = app.post("/api/v1/returns", &buyer, json!({"inventory_id": id, "quantity": 3})).await;
        too_many.expect_error(409, "insufficient_deposit", "more than held");
        assert_eq!(too_many.body["error"]["details"]["held"], 2);
        let ret = app.post("/api/v1/returns", &buyer, json!({"inventory_id": id, "quantity": 2})).await;
        let ret = ret.expect(201, "return").clone();
        assert_eq!((ret["status"].as_str(), ret["seller_id"].as_i64()), (Some("pending"), Some(seller_id)));
        let ret_path = format!("/api/v1/returns/{}", ret["id"]);
        app.get(&ret_path, &other_seller).await.expect_error(404, "not_found", "other seller's view");
        app.patch(&ret_path, &buyer, Some(json!({"accept": true}))).await.expect_error(403, "forbidden", "buyer");
        app.patch(&ret_path, &seller, Some(json!({"accept": true, "good": 2, "damaged": 1})))
            .await
            .expect_error(422, "invalid", "split");
        let settled = app.patch(&ret_path, &seller, Some(json!({"accept": true, "damaged": 1}))).await;
        let settled = settled.expect(200, "settle").clone();
        assert_eq!(
            (settled["refund_amount"].as_i64(), settled["deposit_released"].as_i64()),
            (Some(40_000), Some(80_000))
        );
        app.patch(&ret_path, &seller, Some(json!({"accept": false}))).await.expect_error(409, "invalid_state", "twice");
        assert_eq!(app.get(&ret_path, &buyer).await.expect(200, "buyer's view")["status"], "accepted");
        assert_eq!(app.get("/api/v1/returns", &buyer).await.expect(200, "list")["total"], 1);

        // Deposits per role: all 80,000 went back out; the entries say how.
        let deposits = app.get("/api/v1/deposits", &buyer).await.expect(200, "deposits").clone();
        assert_eq!((deposits["total"].as_i64(), deposits["cylinders"].as_i64()), (Some(0), Some(0)));
        let amounts: Vec<i64> =
            deposits["entries"]["items"].as_array().unwrap().iter().map(|e| e["amount"].as_i64().unwrap()).collect();
        assert_eq!(amounts, [-80_000, 80_000], "newest first");
        assert_eq!(
            (deposits["entries"]["total"].as_i64(), deposits["entries"]["per_page"].as_i64()),
            (Some(2), Some(20))
        );
        // Paged like every list: one per page, the total kept; a bad per_page is a 422.
        let second = app.get("/api/v1/deposits?page=2&per_page=1", &buyer).await.expect(200, "page 2").clone();
        assert_eq!(second["entries"]["items"][0]["amount"], 80_000);
        assert_eq!((second["entries"]["total"].as_i64(), second["total"].as_i64()), (Some(2), Some(0)));
        app.get("/api/v1/deposits?per_page=0", &buyer).await.expect_error(422, "invalid", "per_page 0");
        assert_eq!(deposits["balances"][0]["buyer_id"], buyer_id);
        assert_eq!(
            app.get("/api/v1/deposits", &other_seller).await.expect(200, "other")["entries"]["items"],
            json!([])
        );
        assert_eq!(
            app.get("/api/v1/deposits", &admin).await.expect(200, "admin")["entries"]["items"]
                .as_array()
                .unwrap()
                .len(),
            2
        );

        // The ledger: newest first, paged, for the seller and admins only.
        let path = format!("/api/v1/seller/inventory/{id}/movements?per_page=3");
        let page = app.get(&path, &seller).await.expect(200, "ledger").clone();
        let reasons: Vec<&str> =
            page["items"].as_array().unwrap().iter().map(|m| m["reason"].as_str().unwrap()).collect();
        assert_eq!(reasons, ["returned", "lost", "refill"]);
        assert_eq!(page["total"], 7, "upsert, 2 placed, refill delivered, refill, lost, returned: {page}");
        app.get(&path, &admin).await.expect(200, "admin ledger");
        app.get(&path, &buyer).await.expect_error(403, "forbidden", "buyer ledger");
        app.get(&path, &other_seller).await.expect_error(404, "not_found", "other seller ledger");
        app.get("/api/v1/seller/inventory/999/movements", &admin).await.expect_error(404, "not_found", "no item");

        // Price history: one line until the price or deposit changes.
        let changed = json!({"brand": "Jibu", "weight": 12, "location": "Kigali", "quantity": 9, "unit_price": 16000});
        app.post("/api/v1/seller/inventory", &seller, changed).await.expect(200, "new price");
        let prices = app.get(&format!("/api/v1/gas/{id}/prices"), &buyer).await.expect(200, "prices").clone();
        let prices: Vec<(i64, i64)> = prices
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["unit_price"].as_i64().unwrap(), p["deposit"].as_i64().unwrap()))
            .collect();
        assert_eq!(prices, [(15_000, 40_000), (16_000, 40_000)]);
        app.get("/api/v1/gas/999/prices", &buyer).await.expect_error(404, "not_found", "no item prices");
    }
}
