//! Mobile money over HTTP on both backends: a real server with its collector, the project's
//! MoMo sandbox calling the server's callback endpoint back, and forged callbacks.

use std::collections::HashMap;
use std::time::Duration;

use gasstock_core::payments::MomoConfig;
use gasstock_momo_sandbox::{Behaviour, Sandbox, SandboxConfig};
use gasstock_tests::Backend;
use serde_json::{json, Value};

use crate::support::{App, Market};

const PARTY: &str = "250788123456";

/// A free loopback port, so that the callback URL can name the server before it starts.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn app(backend: Backend, sandbox: &Sandbox, poll: Duration) -> App {
    app_with(backend, sandbox, poll, 0).await
}

async fn app_with(backend: Backend, sandbox: &Sandbox, poll: Duration, commission_bps: u32) -> App {
    let port = free_port();
    let env: HashMap<String, String> = sandbox.env().into_iter().collect();
    let mut momo = MomoConfig::from_lookup(|name| env.get(name).cloned()).unwrap().unwrap();
    momo.callback_url = Some(format!("http://127.0.0.1:{port}/api/v1/payments/momo/callback"));
    momo.retry_base = Duration::from_millis(10);
    App::start_with(backend, move |config| {
        config.bind = format!("127.0.0.1:{port}").parse().unwrap();
        config.momo = Some(momo);
        config.payment_poll_interval = poll;
        config.commission_bps = commission_bps;
    })
    .await
}

/// A mobile-money order of 2 cylinders at 1000 with a 500 fee, invoice approved.
async fn approved_order(app: &App, m: &Market) -> i64 {
    let body = json!({"inventory_id": m.item, "quantity": 2, "payment_method": "mobile_money", "payer_phone": "+250 788 123 456"});
    let order = app.post("/api/v1/orders", &m.buyer, body).await.expect(201, "order").clone();
    assert_eq!(
        (order["payment_method"].as_str(), order["payer_phone"].as_str()),
        (Some("mobile_money"), Some("+250788123456"))
    );
    let id = order["id"].as_i64().unwrap();
    app.decide_order(&m.admin, id, true).await;
    let invoice = app.post("/api/v1/seller/invoice", &m.seller, json!({"order_id": id, "delivery_fee": 500})).await;
    let invoice_id = invoice.expect(201, "invoice")["id"].as_i64().unwrap();
    let approved = app
        .patch(&format!("/api/v1/admin/invoices/{invoice_id}/approve"), &m.admin, Some(json!({"approve": true})))
        .await;
    approved.expect(200, "approve invoice");
    id
}

async fn payment(app: &App, token: &str, order: i64) -> Value {
    app.get(&format!("/api/v1/orders/{order}/payment"), token).await.expect(200, "payment").clone()
}

async fn wait_for(app: &App, token: &str, order: i64, status: &str) -> Value {
    for _ in 0..1000 {
        let now = payment(app, token, order).await;
        if now["collection"]["status"] == status {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("order {order}: collection never {status}: {}", payment(app, token, order).await);
}

async fn deliver(app: &App, admin: &str, order: i64) -> crate::support::Reply {
    app.patch(&format!("/api/v1/admin/delivery/{order}/confirm"), admin, None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collected_by_the_sandbox_callback_then_delivered() {
    for backend in Backend::available() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        // Twenty callbacks at once for the one request (duplicates, as MoMo may send).
        sandbox.script(PARTY, Behaviour::success().delayed(Duration::from_secs(2)).callbacks(20));
        // Polling once an hour: only the callback can settle the payment in this test.
        let app = app(backend, &sandbox, Duration::from_secs(3600)).await;
        let m = app.market().await;
        let order = approved_order(&app, &m).await;
        let requested = payment(&app, &m.buyer, order).await;
        assert_eq!(requested["payment_method"], "mobile_money");
        assert_eq!(
            (requested["collection"]["status"].as_str(), requested["collection"]["amount"].as_i64()),
            (Some("requested"), Some(2500))
        );
        deliver(&app, &m.admin, order).await.expect_error(409, "payment_not_collected", "before collection");

        let collected = wait_for(&app, &m.seller, order, "collected").await;
        assert!(collected["collection"]["provider_transaction_id"].is_string());
        for _ in 0..500 {
            if sandbox.stats().callbacks_sent == 20 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(sandbox.stats().callbacks_sent, 20, "settled by the callbacks (polling is hourly)");
        // Twenty concurrent delivery confirmations: one is delivered, the others are told so.
        let confirmations: Vec<_> = (0..20).map(|_| deliver(&app, &m.admin, order)).collect();
        let replies = futures::future::join_all(confirmations).await;
        let delivered: Vec<_> = replies.iter().filter(|r| r.status == 200).collect();
        assert_eq!(delivered.len(), 1, "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
        assert_eq!(delivered[0].body["payment"]["amount"], 2500);
        for reply in replies.iter().filter(|r| r.status != 200) {
            reply.expect_error(409, "already_delivered", "a concurrent confirmation");
        }
        assert_eq!(payment(&app, &m.admin, order).await["payment"]["amount"], 2500);
        deliver(&app, &m.admin, order).await.expect_error(409, "already_delivered", "twice");
        let history = app.get(&format!("/api/v1/orders/{order}/history"), &m.buyer).await;
        let statuses: Vec<&str> =
            history.body.as_array().unwrap().iter().filter_map(|e| e["to_status"].as_str()).collect();
        assert_eq!(statuses.iter().filter(|s| **s == "collected").count(), 1, "{statuses:?}");
        let feed = app.get("/api/v1/notifications", &m.buyer).await;
        assert!(feed.body["items"].as_array().unwrap().iter().any(|n| n["event"] == "payment.collected"));
        assert_eq!(app.get(&format!("/api/v1/orders/{order}/payment"), &m.seller).await.status, 200);
        let (_, stranger) = app.user("stranger@gas.rw", "buyer").await;
        app.get(&format!("/api/v1/orders/{order}/payment"), &stranger).await.expect_error(404, "not_found", "stranger");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_callbacks_change_nothing_and_a_failure_is_retried_by_polling() {
    for backend in Backend::available() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        sandbox.script(PARTY, Behaviour::failure("APPROVAL_REJECTED").delayed(Duration::from_secs(1)).callbacks(0));
        let app = app(backend, &sandbox, Duration::from_millis(100)).await;
        let m = app.market().await;
        let order = approved_order(&app, &m).await;
        let reference = payment(&app, &m.buyer, order).await["collection"]["reference"].as_str().unwrap().to_owned();

        // A forged "SUCCESSFUL" for our reference, by POST and by PUT, and one for a reference
        // that is not ours: the answer is the same, and only the provider's word counts.
        let forged = json!({"referenceId": reference, "externalId": reference, "status": "SUCCESSFUL", "financialTransactionId": "1"});
        for method in ["POST", "PUT"] {
            let reply = app.call(method, "/api/v1/payments/momo/callback", None, Some(forged.clone())).await;
            assert_eq!(reply.expect(200, "forged callback")["received"], true);
        }
        let stranger = json!({"referenceId": "5f0c8a52-8d4c-4f3e-9d7a-2b1c0e9f8a76", "status": "SUCCESSFUL"});
        app.call("POST", "/api/v1/payments/momo/callback", None, Some(stranger)).await.expect(200, "unknown reference");
        app.call("POST", "/api/v1/payments/momo/callback", None, Some(json!({"status": "SUCCESSFUL"})))
            .await
            .expect(200, "no reference");
        app.call("POST", "/api/v1/payments/momo/callback", None, Some(json!("nonsense"))).await.expect_error(
            400,
            "invalid_body",
            "not a JSON object",
        );
        let now = payment(&app, &m.buyer, order).await;
        assert_ne!(now["collection"]["status"], "collected", "a callback is not believed: {now}");
        deliver(&app, &m.admin, order).await.expect_error(409, "payment_not_collected", "forged");

        let failed = wait_for(&app, &m.buyer, order, "failed").await;
        assert_eq!(failed["collection"]["reason"], "APPROVAL_REJECTED");
        app.post(&format!("/api/v1/orders/{order}/pay"), &m.seller, json!({})).await.expect_error(
            403,
            "forbidden",
            "seller",
        );
        sandbox.script(PARTY, Behaviour::success().callbacks(0));
        let retry = app.post(&format!("/api/v1/orders/{order}/pay"), &m.buyer, json!({})).await;
        let new_reference = retry.expect(202, "retry")["reference"].as_str().unwrap().to_owned();
        assert_ne!(new_reference, reference);
        let paid = wait_for(&app, &m.buyer, order, "collected").await;
        assert_eq!(paid["attempts"].as_array().unwrap().len(), 2);
        app.post(&format!("/api/v1/orders/{order}/pay"), &m.buyer, json!({})).await.expect_error(
            409,
            "payment_in_progress",
            "after collection",
        );
        deliver(&app, &m.admin, order).await.expect(200, "deliver");
        assert_eq!(sandbox.stats().collections, 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_payment_fields_are_422_and_cash_orders_behave_as_before() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let app = app(Backend::Sqlite, &sandbox, Duration::from_secs(3600)).await;
    let m = app.market().await;
    for body in [
        json!({"inventory_id": m.item, "quantity": 1, "payment_method": "mobile_money", "payer_phone": "+250688123456"}),
        json!({"inventory_id": m.item, "quantity": 1, "payment_method": "mobile_money", "payer_phone": "12"}),
        json!({"inventory_id": m.item, "quantity": 1, "payer_phone": ""}),
    ] {
        app.post("/api/v1/orders", &m.buyer, body.clone()).await.expect_error(422, "invalid", &body.to_string());
    }
    let bad = json!({"inventory_id": m.item, "quantity": 1, "payment_method": "bitcoin"});
    app.post("/api/v1/orders", &m.buyer, bad).await.expect_error(400, "invalid_body", "unknown method");
    let cash = app.order(&m.buyer, m.item, 1).await;
    assert_eq!((cash["payment_method"].as_str(), cash["payer_phone"].as_str()), (Some("cash_on_delivery"), None));
    assert_eq!(sandbox.stats().collections, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seller_is_paid_less_commission_and_admins_see_the_payouts() {
    for backend in Backend::available() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let app = app_with(backend, &sandbox, Duration::from_millis(100), 250).await;
        let m = app.market().await;
        let phone = app
            .call("PUT", "/api/v1/seller/payout-phone", Some(&m.seller), Some(json!({"payout_phone": "0788 654 321"})))
            .await;
        assert_eq!(phone.expect(200, "payout phone")["payout_phone"], "+250788654321");
        assert_eq!(
            app.get("/api/v1/seller/payout-phone", &m.seller).await.expect(200, "read")["payout_phone"],
            "+250788654321"
        );
        app.call("PUT", "/api/v1/seller/payout-phone", Some(&m.seller), Some(json!({"payout_phone": "12"})))
            .await
            .expect_error(422, "invalid", "bad phone");
        app.call("PUT", "/api/v1/seller/payout-phone", Some(&m.buyer), Some(json!({"payout_phone": "+250788654321"})))
            .await
            .expect_error(403, "forbidden", "a buyer");

        let order = approved_order(&app, &m).await;
        wait_for(&app, &m.buyer, order, "collected").await;
        deliver(&app, &m.admin, order).await.expect(200, "deliver");
        let mut paid = Value::Null;
        for _ in 0..1000 {
            paid = payment(&app, &m.seller, order).await;
            if paid["payout"]["status"] == "paid" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(paid["payout"]["status"], "paid", "{paid}");
        assert_eq!(
            (
                paid["payout"]["collected"].as_i64(),
                paid["payout"]["commission"].as_i64(),
                paid["payout"]["amount"].as_i64()
            ),
            (Some(2500), Some(62), Some(2438))
        );
        let transfers: Vec<_> = sandbox.requests().into_iter().filter(|r| r.kind == "transfer").collect();
        assert_eq!(transfers.len(), 1);
        assert_eq!((transfers[0].amount.as_str(), transfers[0].party_id.as_str()), ("2438", "250788654321"));

        let listed = app.get("/api/v1/admin/payouts?status=paid", &m.admin).await;
        assert_eq!(listed.expect(200, "payouts")["total"], 1);
        assert_eq!(listed.body["items"][0]["order_id"], order);
        assert_eq!(app.get("/api/v1/admin/payouts?status=failed", &m.admin).await.body["total"], 0);
        app.get("/api/v1/admin/payouts?status=lost", &m.admin).await.expect_error(400, "invalid_query", "bad status");
        // An empty status is no status either (as for /seller/orders), not "every status".
        app.get("/api/v1/admin/payouts?status=", &m.admin).await.expect_error(400, "invalid_query", "empty status");
        app.get("/api/v1/admin/payouts", &m.seller).await.expect_error(403, "forbidden", "seller");
        let id = listed.body["items"][0]["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/admin/payouts/{id}/retry"), &m.admin, json!({})).await.expect_error(
            409,
            "invalid_state",
            "a paid payout",
        );
        let feed = app.get("/api/v1/notifications", &m.seller).await;
        assert!(feed.body["items"].as_array().unwrap().iter().any(|n| n["event"] == "payout.paid"));
    }
}
