//! Drivers, dispatch and the handover code over HTTP (issue 13), on every backend: the
//! story, the authorization matrix of the `driver` role, the brute-force lock, and the
//! failed-delivery paths.

use gasstock_tests::Backend;
use serde_json::json;

use crate::support::{App, Reply, PASSWORD};

/// An order of `buyer` on `item`, approved, invoiced by `seller` with a fee of 500 and its
/// invoice approved: ready to dispatch. Returns its id.
async fn invoiced(app: &App, buyer: &str, seller: &str, admin: &str, item: i64) -> i64 {
    let id = app.order(buyer, item, 2).await["id"].as_i64().unwrap();
    app.decide_order(admin, id, true).await;
    let invoice = app.post("/api/v1/seller/invoice", seller, json!({"order_id": id, "delivery_fee": 500})).await;
    let invoice_id = invoice.expect(201, "invoice")["id"].as_i64().unwrap();
    app.patch(&format!("/api/v1/admin/invoices/{invoice_id}/approve"), admin, Some(json!({"approve": true})))
        .await
        .expect(200, "approve invoice");
    id
}

/// A driver of `seller`, signed in: (id, token).
async fn driver(app: &App, seller: &str, email: &str) -> (i64, String) {
    let body = json!({"email": email, "password": PASSWORD, "name": "Jean Driver", "phone": "+250788111222"});
    let created = app.post("/api/v1/seller/drivers", seller, body).await;
    let driver = created.expect(201, "create driver");
    assert_eq!((driver["role"].as_str(), driver["disabled"].as_bool()), (Some("driver"), Some(false)), "{driver}");
    (driver["id"].as_i64().unwrap(), app.login(email).await)
}

async fn dispatch(app: &App, seller: &str, order: i64, driver: i64) -> Reply {
    app.post(&format!("/api/v1/seller/orders/{order}/dispatch"), seller, json!({"driver_id": driver})).await
}

async fn complete(app: &App, driver: &str, order: i64, code: &str) -> Reply {
    app.post(&format!("/api/v1/driver/deliveries/{order}/complete"), driver, json!({"code": code})).await
}

/// The buyer's live handover code, from their order.
async fn code_of(app: &App, buyer: &str, order: i64) -> String {
    let view = app.get(&format!("/api/v1/orders/{order}"), buyer).await;
    let code = view.expect(200, "buyer's order")["handover_code"].as_str().expect("the buyer sees the code").to_owned();
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code}");
    code
}

/// A code that is not `code`.
fn wrong(code: &str) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
}

/// Whether a response shows the code (as a JSON value or in a message).
fn shows(reply: &Reply, code: &str) -> bool {
    reply.text.contains(&format!("\"{code}\""))
        || reply.text.contains("Handover code")
        || reply.text.contains("handover_code")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatched_delivery_is_completed_by_its_code() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start(backend).await;
        let m = app.market().await;
        let (driver_id, driver_token) = driver(&app, &m.seller, "driver@gas.rw").await;
        let listed = app.get("/api/v1/seller/drivers", &m.seller).await;
        assert_eq!(listed.expect(200, "drivers")["items"][0]["id"], driver_id);
        assert_eq!(listed.body["items"][0]["disabled"], false);

        let order = invoiced(&app, &m.buyer, &m.seller, &m.admin, m.item).await;
        let mut others = Vec::new();
        let sent = dispatch(&app, &m.seller, order, driver_id).await;
        let dispatched = sent.expect(200, "dispatch").clone();
        assert_eq!(
            (dispatched["status"].as_str(), dispatched["driver_id"].as_i64()),
            (Some("out_for_delivery"), Some(driver_id))
        );
        others.push(sent);
        let code = code_of(&app, &m.buyer, order).await;
        let buyer_feed = app.get("/api/v1/notifications", &m.buyer).await;
        assert!(buyer_feed.expect(200, "buyer feed").to_string().contains(&format!("Handover code: {code}")));

        // The driver sees the delivery (address, no code) and their own notice of it.
        let deliveries = app.get("/api/v1/driver/deliveries", &driver_token).await;
        assert_eq!(deliveries.expect(200, "deliveries")["items"][0]["order_id"], order);
        let driver_feed = app.get("/api/v1/notifications", &driver_token).await;
        assert!(driver_feed.expect(200, "driver feed").to_string().contains(&format!("Deliver order #{order}")));
        others.extend([deliveries, driver_feed]);
        others.push(app.get(&format!("/api/v1/orders/{order}"), &m.seller).await);
        others.push(app.get(&format!("/api/v1/orders/{order}"), &m.admin).await);
        others.push(app.get("/api/v1/notifications", &m.seller).await);
        others.push(app.get("/api/v1/notifications", &m.admin).await);
        others.push(app.get("/api/v1/seller/dispatches", &m.seller).await);
        others.push(app.get(&format!("/api/v1/orders/{order}/history"), &m.seller).await);

        // A wrong code: 422, counted; the admin cannot confirm a dispatched order.
        let bad = complete(&app, &driver_token, order, &wrong(&code)).await;
        bad.expect_error(422, "invalid", "wrong code");
        assert!(bad.text.contains("4 of 5"), "{}", bad.text);
        let listed = app.get("/api/v1/driver/deliveries", &driver_token).await;
        assert_eq!(listed.expect(200, "deliveries")["items"][0]["wrong_codes"], 1, "the wrong code was counted");
        let desk = app.patch(&format!("/api/v1/admin/delivery/{order}/confirm"), &m.admin, None).await;
        desk.expect_error(409, "invalid_state", "admin confirm of a dispatched order");
        others.extend([bad, listed, desk]);

        // The right code: delivered, with the payment, exactly as an admin confirmation.
        let done = complete(&app, &driver_token, order, &code).await;
        let delivery = done.expect(200, "complete").clone();
        assert_eq!(delivery["order"]["status"], "delivered");
        assert_eq!(delivery["payment"]["amount"], 2 * 1000 + 500);
        assert_eq!(delivery["payment"]["status"], "released");
        others.push(done);
        let again = complete(&app, &driver_token, order, &code).await;
        again.expect(409, "completed twice");
        others.push(again);
        let view = app.get(&format!("/api/v1/orders/{order}"), &m.buyer).await;
        assert_eq!(view.expect(200, "buyer's order")["status"], "delivered");
        assert!(view.body.get("handover_code").is_none(), "no live code once delivered");
        let history = app.get(&format!("/api/v1/orders/{order}/history"), &m.buyer).await;
        let path: Vec<&str> = history
            .expect(200, "history")
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["entity"] == "order")
            .map(|e| e["to_status"].as_str().unwrap())
            .collect();
        assert_eq!(path, ["pending", "approved", "invoiced", "out_for_delivery", "delivered"]);
        for reply in &others {
            assert!(!shows(reply, &code), "the code leaked to someone other than the buyer: {}", reply.text);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drivers_see_and_work_only_their_own_deliveries() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start(backend).await;
        let m = app.market().await;
        let (_, seller_b) = app.user("seller-b@gas.rw", "seller").await;
        let (_, buyer_b) = app.user("buyer-b@gas.rw", "buyer").await;
        let (driver_a, token_a) = driver(&app, &m.seller, "driver-a@gas.rw").await;
        let (driver_b, token_b) = driver(&app, &seller_b, "driver-b@gas.rw").await;
        let order = invoiced(&app, &m.buyer, &m.seller, &m.admin, m.item).await;

        // A seller dispatches only its own orders, only to its own drivers.
        dispatch(&app, &seller_b, order, driver_b).await.expect_error(404, "not_found", "another seller's order");
        dispatch(&app, &m.seller, order, driver_b).await.expect_error(404, "not_found", "another seller's driver");
        dispatch(&app, &m.buyer, order, driver_a).await.expect_error(403, "forbidden", "a buyer dispatches");
        dispatch(&app, &token_a, order, driver_a).await.expect_error(403, "forbidden", "a driver dispatches");
        dispatch(&app, &m.seller, order, driver_a).await.expect(200, "dispatch");
        let code = code_of(&app, &m.buyer, order).await;

        // Driver B never sees nor works seller A's delivery.
        let listed = app.get("/api/v1/driver/deliveries", &token_b).await;
        assert_eq!(listed.expect(200, "b's deliveries")["total"], 0);
        complete(&app, &token_b, order, &code).await.expect_error(404, "not_found", "b completes a's delivery");
        let fail = app.post(&format!("/api/v1/driver/deliveries/{order}/fail"), &token_b, json!({"reason": "x"})).await;
        fail.expect_error(404, "not_found", "b fails a's delivery");
        app.get(&format!("/api/v1/orders/{order}"), &token_b).await.expect_error(
            404,
            "not_found",
            "driver reads an order",
        );
        // Nor do other roles use the driver's endpoints.
        complete(&app, &m.seller, order, &code).await.expect_error(403, "forbidden", "the seller completes");
        complete(&app, &m.buyer, order, &code).await.expect_error(403, "forbidden", "the buyer completes");
        app.get("/api/v1/driver/deliveries", &m.admin).await.expect_error(403, "forbidden", "admin lists");
        // Another buyer never sees the order nor its code; drivers manage no drivers.
        let other = app.get(&format!("/api/v1/orders/{order}"), &buyer_b).await;
        other.expect_error(404, "not_found", "another buyer");
        assert!(!shows(&other, &code));
        app.get("/api/v1/seller/drivers", &token_a).await.expect_error(403, "forbidden", "driver lists drivers");
        let reg = app
            .call(
                "POST",
                "/api/v1/register",
                None,
                Some(json!({"email": "d@gas.rw", "password": PASSWORD,
            "name": "D", "role": "driver"})),
            )
            .await;
        reg.expect_error(422, "invalid", "self-registered driver");

        // Disabling: only by the driver's own seller; a disabled driver works nothing.
        let path = format!("/api/v1/seller/drivers/{driver_a}/disable");
        app.post(&path, &seller_b, json!({})).await.expect_error(404, "not_found", "another seller disables");
        assert_eq!(app.post(&path, &m.seller, json!({})).await.expect(200, "disable")["disabled"], true);
        app.get("/api/v1/driver/deliveries", &token_a).await.expect_error(403, "forbidden", "disabled driver lists");
        complete(&app, &token_a, order, &code).await.expect_error(403, "forbidden", "disabled driver completes");
        let order2 = invoiced(&app, &m.buyer, &m.seller, &m.admin, m.item).await;
        dispatch(&app, &m.seller, order2, driver_a).await.expect_error(409, "driver_disabled", "dispatch to disabled");
        app.post(&format!("/api/v1/seller/drivers/{driver_a}/enable"), &m.seller, json!({}))
            .await
            .expect(200, "enable");
        complete(&app, &token_a, order, &code).await.expect(200, "enabled again: completes");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_wrong_codes_lock_the_delivery_until_it_is_redispatched() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start(backend).await;
        let m = app.market().await;
        let (driver_id, token) = driver(&app, &m.seller, "driver@gas.rw").await;
        let order = invoiced(&app, &m.buyer, &m.seller, &m.admin, m.item).await;
        dispatch(&app, &m.seller, order, driver_id).await.expect(200, "dispatch");
        let code = code_of(&app, &m.buyer, order).await;
        for n in 1..=5 {
            let reply = complete(&app, &token, order, &wrong(&code)).await;
            reply.expect_error(422, "invalid", &format!("wrong code {n}"));
        }
        complete(&app, &token, order, &code).await.expect_error(409, "delivery_locked", "the right code, locked");
        complete(&app, &token, order, &wrong(&code)).await.expect_error(409, "delivery_locked", "still locked");
        complete(&app, &token, order, "12ab56").await.expect(422, "not six digits");
        let listed = app.get("/api/v1/driver/deliveries", &token).await;
        let live = &listed.expect(200, "deliveries")["items"][0];
        assert_eq!((live["wrong_codes"].as_i64(), live["locked"].as_bool()), (Some(5), Some(true)));

        // The seller re-dispatches: recorded as failed, then out again with a new code.
        let again = dispatch(&app, &m.seller, order, driver_id).await;
        assert_eq!(again.expect(200, "re-dispatch")["wrong_codes"], 0);
        let fresh = code_of(&app, &m.buyer, order).await;
        if fresh != code {
            complete(&app, &token, order, &code).await.expect_error(422, "invalid", "the old code is void");
        }
        complete(&app, &token, order, &fresh).await.expect(200, "the new code");
        let history = app.get(&format!("/api/v1/orders/{order}/history"), &m.buyer).await;
        let path: Vec<&str> = history
            .expect(200, "history")
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["entity"] == "order")
            .map(|e| e["to_status"].as_str().unwrap())
            .collect();
        assert_eq!(
            path,
            ["pending", "approved", "invoiced", "out_for_delivery", "failed", "out_for_delivery", "delivered"]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delivery_is_redispatched_or_cancelled_with_its_stock_back() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start(backend).await;
        let m = app.market().await;
        let (first, first_token) = driver(&app, &m.seller, "first@gas.rw").await;
        let (second, second_token) = driver(&app, &m.seller, "second@gas.rw").await;
        let order = invoiced(&app, &m.buyer, &m.seller, &m.admin, m.item).await;
        dispatch(&app, &m.seller, order, first).await.expect(200, "dispatch");
        dispatch(&app, &m.seller, order, second).await.expect_error(409, "already_dispatched", "dispatched twice");
        let fail_path = format!("/api/v1/driver/deliveries/{order}/fail");
        app.post(&fail_path, &first_token, json!({"reason": " "})).await.expect(422, "no reason");
        let failed = app.post(&fail_path, &first_token, json!({"reason": "nobody home"})).await;
        let failed = failed.expect(200, "fail").clone();
        assert_eq!((failed["status"].as_str(), failed["fail_reason"].as_str()), (Some("failed"), Some("nobody home")));
        assert!(app.get(&format!("/api/v1/orders/{order}"), &m.buyer).await.body.get("handover_code").is_none());

        // Re-dispatched to the second driver: the first can no longer complete it.
        dispatch(&app, &m.seller, order, second).await.expect(200, "re-dispatch");
        let code = code_of(&app, &m.buyer, order).await;
        complete(&app, &first_token, order, &code).await.expect_error(404, "not_found", "the first driver");
        let firsts = app.get("/api/v1/driver/deliveries", &first_token).await;
        assert_eq!(firsts.expect(200, "first's")["items"][0]["status"], "failed", "their dispatch ended failed");
        complete(&app, &second_token, order, &code).await.expect(200, "the second driver delivers");

        // Another order fails and is cancelled: its two cylinders go back to stock.
        let before = app.quantity(&m.seller, m.item).await;
        let lost = invoiced(&app, &m.buyer, &m.seller, &m.admin, m.item).await;
        assert_eq!(app.quantity(&m.seller, m.item).await, before - 2);
        dispatch(&app, &m.seller, lost, first).await.expect(200, "dispatch");
        let cancel_path = format!("/api/v1/orders/{lost}/cancel-delivery");
        app.post(&cancel_path, &m.seller, json!({"reason": "gone"})).await.expect_error(
            409,
            "invalid_state",
            "not failed yet",
        );
        app.post(&format!("/api/v1/driver/deliveries/{lost}/fail"), &first_token, json!({"reason": "road closed"}))
            .await
            .expect(200, "fail");
        app.post(&cancel_path, &m.buyer, json!({"reason": "x"})).await.expect_error(403, "forbidden", "the buyer");
        app.post(&cancel_path, &first_token, json!({"reason": "x"})).await.expect_error(404, "not_found", "a driver");
        let cancelled = app.post(&cancel_path, &m.seller, json!({"reason": "customer moved"})).await;
        assert_eq!(cancelled.expect(200, "cancel")["status"], "cancelled");
        assert_eq!(app.quantity(&m.seller, m.item).await, before, "stock back");

        // An admin may cancel a failed delivery too.
        let third = invoiced(&app, &m.buyer, &m.seller, &m.admin, m.item).await;
        dispatch(&app, &m.seller, third, first).await.expect(200, "dispatch");
        app.post(&format!("/api/v1/driver/deliveries/{third}/fail"), &first_token, json!({"reason": "no access"}))
            .await
            .expect(200, "fail");
        let by_admin =
            app.post(&format!("/api/v1/orders/{third}/cancel-delivery"), &m.admin, json!({"reason": "x"})).await;
        assert_eq!(by_admin.expect(200, "admin cancels")["status"], "cancelled");
        assert_eq!(app.quantity(&m.seller, m.item).await, before);
    }
}

/// The driver counts the empties the buyer hands over: the seller's empties and the ledger
/// take that count (a refill handing over fewer is recorded as it was); more than the order's
/// quantity is a 422 that delivers nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_driver_records_the_empties_handed_over() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start(backend).await;
        let m = app.market().await;
        let (driver_id, driver_token) = driver(&app, &m.seller, "counter@gas.rw").await;
        let before = app.get(&format!("/api/v1/gas/{}", m.item), &m.buyer).await.expect(200, "item")["empties"]
            .as_i64()
            .unwrap();
        let order = invoiced(&app, &m.buyer, &m.seller, &m.admin, m.item).await;
        dispatch(&app, &m.seller, order, driver_id).await.expect(200, "dispatch");
        let code = code_of(&app, &m.buyer, order).await;
        let path = format!("/api/v1/driver/deliveries/{order}/complete");

        let too_many = app.post(&path, &driver_token, json!({"code": code, "empties_received": 3})).await;
        too_many.expect_error(422, "invalid", "more empties than cylinders");
        assert_eq!(too_many.body["error"]["details"]["field"], "empties_received", "{}", too_many.text);
        let view = app.get(&format!("/api/v1/orders/{order}"), &m.buyer).await;
        assert_eq!(view.expect(200, "order")["status"], "out_for_delivery", "nothing delivered");

        let done = app.post(&path, &driver_token, json!({"code": code, "empties_received": 1})).await;
        assert_eq!(done.expect(200, "complete")["order"]["status"], "delivered");
        let after = app.get(&format!("/api/v1/gas/{}", m.item), &m.buyer).await.expect(200, "item")["empties"]
            .as_i64()
            .unwrap();
        assert_eq!(after, before + 1, "one of the two empties came back");
        let ledger = app.get(&format!("/api/v1/seller/inventory/{}/movements?per_page=1", m.item), &m.seller).await;
        let line = ledger.expect(200, "ledger")["items"][0].clone();
        assert_eq!(
            (line["reason"].as_str(), line["empty_delta"].as_i64(), line["order_id"].as_i64()),
            (Some("delivered"), Some(1), Some(order)),
            "{line}"
        );
    }
}
