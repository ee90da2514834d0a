//! The seed's whole story over HTTP, and the rejection, cancellation and invoice-rejection
//! paths.

use gasstock_tests::Backend;
use serde_json::json;

use crate::support::{App, Market};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_story_from_stock_to_feedback() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start(backend).await;
        let (seller_id, seller) = app.user("seller@gas.rw", "seller").await;
        let (buyer_id, buyer) = app.user("buyer@gas.rw", "buyer").await;
        let (_, admin) = app.admin("admin@gas.rw").await;

        // The seller adds stock: 201 created, then 200 when the same key is updated.
        let added = app
            .post(
                "/api/v1/seller/inventory",
                &seller,
                json!({"brand": "Jibu", "weight": "12kg", "location": "Kigali", "quantity": 3, "unit_price": 15000}),
            )
            .await;
        let item = added.expect(201, "add stock").clone();
        assert_eq!((item["weight_kg"].as_f64(), item["currency"].as_str()), (Some(12.0), Some("RWF")));
        assert_eq!(item["seller_id"], seller_id);
        let updated = app
            .post(
                "/api/v1/seller/inventory",
                &seller,
                json!({"brand": "Jibu", "weight": 12, "location": "Kigali", "quantity": 10, "unit_price": 15000}),
            )
            .await;
        assert_eq!(updated.expect(200, "update stock")["id"], item["id"]);
        assert_eq!(updated.body["quantity"], 10);
        let item_id = item["id"].as_i64().unwrap();
        app.stock(&seller, "Kigali Gas", json!("12.5 KG"), "Musanze", 4, 20000).await;
        app.stock(&seller, "Jibu", json!(6), "Huye", 0, 9000).await;

        // The buyer browses with each filter (case-insensitive, every weight spelling).
        let total = |path: &'static str| {
            let app = &app;
            let buyer = &buyer;
            async move { app.get(path, buyer).await.expect(200, path)["total"].as_i64().unwrap() }
        };
        assert_eq!(total("/api/v1/gas").await, 2, "the item at quantity 0 is not for sale");
        assert_eq!(total("/api/v1/gas?brand=jibu").await, 1);
        assert_eq!(total("/api/v1/gas?brand=KIGALI%20GAS").await, 1);
        assert_eq!(total("/api/v1/gas?weight=12").await, 1);
        assert_eq!(total("/api/v1/gas?weight=12kg").await, 1);
        assert_eq!(total("/api/v1/gas?weight=12.5%20kg").await, 1);
        assert_eq!(total("/api/v1/gas?weight=12.5KG").await, 1);
        assert_eq!(total("/api/v1/gas?location=kigali").await, 1);
        assert_eq!(total("/api/v1/gas?brand=jibu&weight=12&location=KIGALI").await, 1);
        assert_eq!(total("/api/v1/gas?brand=jibu&location=musanze").await, 0);
        // One item by id (GET /gas/{id}): the same item as listed, also when out of stock.
        let one = app.get(&format!("/api/v1/gas/{item_id}"), &buyer).await;
        assert_eq!(one.expect(200, "one stock item")["id"], item["id"]);
        assert_eq!((one.body["quantity"].as_i64(), one.body["seller_id"].as_i64()), (Some(10), Some(seller_id)));
        let empty_id = app.stock(&seller, "Jibu", json!(6), "Huye", 0, 9000).await;
        let empty = app.get(&format!("/api/v1/gas/{empty_id}"), &buyer).await;
        assert_eq!(empty.expect(200, "an item out of stock")["quantity"], 0);
        app.get("/api/v1/gas/999999", &buyer).await.expect_error(404, "not_found", "no such stock item");
        app.call("GET", &format!("/api/v1/gas/{item_id}"), None, None).await.expect_error(
            401,
            "unauthenticated",
            "no token",
        );
        let listing = app.get("/api/v1/gas?brand=jibu", &buyer).await;
        let listed = &listing.body["items"][0];
        for field in
            ["id", "seller_id", "seller_name", "brand", "weight_kg", "location", "quantity", "unit_price", "currency"]
        {
            assert!(listed.get(field).is_some(), "stock item has {field}: {listed}");
        }
        assert_eq!((listing.body["page"].as_i64(), listing.body["per_page"].as_i64()), (Some(1), Some(20)));

        // The buyer orders, with an idempotency key: a retry returns the same order (200)
        // and reserves nothing more.
        let request = || {
            app.client
                .post(app.url("/api/v1/orders"))
                .bearer_auth(&buyer)
                .header("Idempotency-Key", "order-1")
                .json(&json!({"inventory_id": item_id, "quantity": 2, "delivery_address": "KN 5 Rd"}))
        };
        let placed = app.send(request()).await;
        let order = placed.expect(201, "place order").clone();
        let retry = app.send(request()).await;
        assert_eq!(retry.expect(200, "retry")["id"], order["id"]);
        assert_eq!(app.quantity(&seller, item_id).await, 8, "2 reserved once");
        assert_eq!(order["status"], "pending");
        assert_eq!((order["buyer_id"].as_i64(), order["seller_id"].as_i64()), (Some(buyer_id), Some(seller_id)));
        assert_eq!((order["unit_price"].as_i64(), order["total_amount"].as_i64()), (Some(15000), Some(30000)));
        let order_id = order["id"].as_i64().unwrap();

        // Price changes later do not touch the order.
        app.stock(&seller, "Jibu", json!("12 kg"), "Kigali", 8, 99999).await;

        let mine = app.get("/api/v1/orders", &buyer).await;
        assert_eq!(mine.expect(200, "my orders")["total"], 1);
        let pending = app.get("/api/v1/admin/orders/pending", &admin).await;
        assert_eq!(pending.expect(200, "pending")["items"][0]["id"], order_id);

        // The admin approves.
        let approved = app.decide_order(&admin, order_id, true).await;
        assert_eq!(approved["status"], "approved");
        let seller_orders = app.get("/api/v1/seller/orders?status=approved", &seller).await;
        assert_eq!(seller_orders.expect(200, "seller orders")["items"][0]["id"], order_id);
        assert_eq!(app.get("/api/v1/seller/orders?status=pending", &seller).await.body["total"], 0);

        // The seller invoices: the amount is computed from the order plus the fee.
        let invoice = app
            .post(
                "/api/v1/seller/invoice",
                &seller,
                json!({"order_id": order_id, "delivery_fee": 1000, "notes": "door"}),
            )
            .await;
        let invoice = invoice.expect(201, "invoice").clone();
        assert_eq!((invoice["amount"].as_i64(), invoice["status"].as_str()), (Some(31000), Some("pending")));
        let invoice_id = invoice["id"].as_i64().unwrap();
        assert_eq!(app.get(&format!("/api/v1/orders/{order_id}"), &buyer).await.body["status"], "invoiced");

        // Delivery cannot be confirmed before the invoice is approved.
        let early = app.patch(&format!("/api/v1/admin/delivery/{order_id}/confirm"), &admin, None).await;
        early.expect(409, "confirm before invoice approval");

        // The admin approves the invoice, then confirms delivery: the payment is released.
        let pending_invoices = app.get("/api/v1/admin/invoices/pending", &admin).await;
        assert_eq!(pending_invoices.expect(200, "pending invoices")["items"][0]["id"], invoice_id);
        let decided = app
            .patch(&format!("/api/v1/admin/invoices/{invoice_id}/approve"), &admin, Some(json!({"approve": true})))
            .await;
        assert_eq!(decided.expect(200, "approve invoice")["status"], "approved");
        let delivery = app.patch(&format!("/api/v1/admin/delivery/{order_id}/confirm"), &admin, None).await;
        let delivery = delivery.expect(200, "confirm delivery").clone();
        assert_eq!(delivery["order"]["status"], "delivered");
        let payment = &delivery["payment"];
        assert_eq!((payment["status"].as_str(), payment["amount"].as_i64()), (Some("released"), Some(31000)));
        assert_eq!((payment["order_id"].as_i64(), payment["invoice_id"].as_i64()), (Some(order_id), Some(invoice_id)));
        assert_eq!(payment["seller_id"], seller_id);
        assert!(payment["released_at"].as_str().is_some());
        app.patch(&format!("/api/v1/admin/delivery/{order_id}/confirm"), &admin, None)
            .await
            .expect(409, "confirm twice");

        // The buyer rates the delivered order, once.
        let feedback = app
            .post("/api/v1/feedback", &buyer, json!({"order_id": order_id, "rating": 5, "comment": "Murakoze"}))
            .await;
        let feedback = feedback.expect(201, "feedback").clone();
        assert_eq!((feedback["rating"].as_i64(), feedback["seller_id"].as_i64()), (Some(5), Some(seller_id)));
        app.post("/api/v1/feedback", &buyer, json!({"order_id": order_id, "rating": 4}))
            .await
            .expect(409, "feedback twice");

        // Every status change was recorded, in order.
        let history = app.get(&format!("/api/v1/orders/{order_id}/history"), &buyer).await;
        let history = history.expect(200, "history").clone();
        let orders: Vec<&str> = history
            .as_array()
            .unwrap()
            .iter()
            .filter(|event| event["entity"] == "order")
            .map(|event| event["to_status"].as_str().unwrap())
            .collect();
        assert_eq!(orders, ["pending", "approved", "invoiced", "delivered"]);

        let final_order = app.get(&format!("/api/v1/orders/{order_id}"), &seller).await;
        assert_eq!(final_order.expect(200, "seller sees it")["status"], "delivered");
        assert_eq!(final_order.body["unit_price"], 15000, "the price stayed frozen");
        app.server.core().store().close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejection_cancellation_and_invoice_rejection() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start(backend).await;
        let Market { seller, buyer, admin, item } = app.market().await;

        // Rejected by the admin: the stock comes back.
        let rejected = app.order(&buyer, item, 2).await;
        let rejected_id = rejected["id"].as_i64().unwrap();
        assert_eq!(app.quantity(&seller, item).await, 3);
        let reply = app
            .patch(
                &format!("/api/v1/admin/orders/{rejected_id}/approve"),
                &admin,
                Some(json!({"approve": false, "reason": "out of delivery area"})),
            )
            .await;
        assert_eq!(reply.expect(200, "reject")["status"], "rejected");
        assert_eq!(app.quantity(&seller, item).await, 5);
        app.patch(&format!("/api/v1/admin/orders/{rejected_id}/approve"), &admin, Some(json!({"approve": true})))
            .await
            .expect(409, "approve a rejected order");
        app.post(&format!("/api/v1/orders/{rejected_id}/cancel"), &buyer, json!({}))
            .await
            .expect(409, "cancel rejected");

        // Cancelled by the buyer while pending: the stock comes back; cancelling again is 409.
        let cancelled = app.order(&buyer, item, 4).await;
        let cancelled_id = cancelled["id"].as_i64().unwrap();
        assert_eq!(app.quantity(&seller, item).await, 1);
        let reply = app.call("POST", &format!("/api/v1/orders/{cancelled_id}/cancel"), Some(&buyer), None).await;
        assert_eq!(reply.expect(200, "cancel")["status"], "cancelled");
        assert_eq!(app.quantity(&seller, item).await, 5);
        app.call("POST", &format!("/api/v1/orders/{cancelled_id}/cancel"), Some(&buyer), None)
            .await
            .expect(409, "cancel twice");

        // Not enough stock: 409 insufficient_stock, nothing reserved.
        let reply = app.post("/api/v1/orders", &buyer, json!({"inventory_id": item, "quantity": 6})).await;
        reply.expect_error(409, "insufficient_stock", "order too much");
        assert_eq!(app.quantity(&seller, item).await, 5);

        // Invoicing a pending order is 409; feedback before delivery is 409.
        let order = app.order(&buyer, item, 1).await;
        let order_id = order["id"].as_i64().unwrap();
        app.post("/api/v1/seller/invoice", &seller, json!({"order_id": order_id})).await.expect(409, "invoice pending");
        app.post("/api/v1/feedback", &buyer, json!({"order_id": order_id, "rating": 3}))
            .await
            .expect(409, "feedback on a pending order");

        // Invoice rejected: the order goes back to approved and can be invoiced again.
        app.decide_order(&admin, order_id, true).await;
        app.post(&format!("/api/v1/orders/{order_id}/cancel"), &buyer, json!({})).await.expect(409, "cancel approved");
        let invoice = app.post("/api/v1/seller/invoice", &seller, json!({"order_id": order_id})).await;
        let invoice_id = invoice.expect(201, "invoice")["id"].as_i64().unwrap();
        assert_eq!(invoice.body["amount"], 1000);
        app.post("/api/v1/seller/invoice", &seller, json!({"order_id": order_id}))
            .await
            .expect(409, "invoice an invoiced order");
        let reply = app
            .patch(
                &format!("/api/v1/admin/invoices/{invoice_id}/approve"),
                &admin,
                Some(json!({"approve": false, "reason": "fee missing"})),
            )
            .await;
        assert_eq!(reply.expect(200, "reject invoice")["status"], "rejected");
        assert_eq!(app.get(&format!("/api/v1/orders/{order_id}"), &buyer).await.body["status"], "approved");
        app.patch(&format!("/api/v1/admin/invoices/{invoice_id}/approve"), &admin, Some(json!({"approve": true})))
            .await
            .expect(409, "approve a rejected invoice");
        app.patch(&format!("/api/v1/admin/delivery/{order_id}/confirm"), &admin, None)
            .await
            .expect(409, "confirm with a rejected invoice");
        let again =
            app.post("/api/v1/seller/invoice", &seller, json!({"order_id": order_id, "delivery_fee": 500})).await;
        assert_eq!(again.expect(201, "invoice again")["amount"], 1500);
        app.server.core().store().close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_are_paginated() {
    for backend in Backend::available() {
        let app = App::start(backend).await;
        let (_, seller) = app.user("seller@gas.rw", "seller").await;
        let (_, buyer) = app.user("buyer@gas.rw", "buyer").await;
        for location in ["A", "B", "C"] {
            app.stock(&seller, "Jibu", json!(12), location, 1, 100).await;
        }
        let first = app.get("/api/v1/gas?per_page=2", &buyer).await;
        let first = first.expect(200, "page 1").clone();
        assert_eq!((first["items"].as_array().unwrap().len(), first["total"].as_i64()), (2, Some(3)));
        let second = app.get("/api/v1/gas?per_page=2&page=2", &buyer).await;
        let second = second.expect(200, "page 2").clone();
        assert_eq!((second["items"].as_array().unwrap().len(), second["page"].as_i64()), (1, Some(2)));
        assert_ne!(first["items"][0]["id"], second["items"][0]["id"]);
        let inventory = app.get("/api/v1/seller/inventory?page=1&per_page=100", &seller).await;
        assert_eq!(inventory.expect(200, "per_page 100")["per_page"], 100);
        app.get("/api/v1/gas?per_page=101", &buyer).await.expect(422, "per_page over 100");
        app.get("/api/v1/gas?page=0", &buyer).await.expect(422, "page 0");
        app.server.core().store().close().await;
    }
}
