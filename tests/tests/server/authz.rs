//! Every endpoint against every kind of caller: anonymous, the buyer, the seller and the
//! admin involved, and another buyer and another seller.

use gasstock_tests::Backend;
use serde_json::{json, Value};

use crate::support::App;

/// Callers, in the order each row is run. For mutating rows the callers who must be refused
/// are refused before any state check, so the order only matters for the allowed ones.
const CALLERS: [&str; 6] = ["anonymous", "other buyer", "other seller", "buyer", "seller", "admin"];

struct Row {
    method: &'static str,
    path: String,
    body: Option<Value>,
    /// Expected status per caller, in `CALLERS` order.
    expected: [u16; 6],
}

fn row(method: &'static str, path: impl Into<String>, body: Option<Value>, expected: [u16; 6]) -> Row {
    Row { method, path: path.into(), body, expected }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_for_every_caller() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start(backend).await;
        let (_, seller) = app.user("seller@gas.rw", "seller").await;
        let (_, other_seller) = app.user("other-seller@gas.rw", "seller").await;
        let (_, buyer) = app.user("buyer@gas.rw", "buyer").await;
        let (_, other_buyer) = app.user("other-buyer@gas.rw", "buyer").await;
        let (_, admin) = app.admin("admin@gas.rw").await;
        let item = app.stock(&seller, "Jibu", json!(12), "Kigali", 100, 1000).await;
        app.stock(&other_seller, "Meru", json!(6), "Huye", 5, 800).await;

        // The buyer's orders on the seller's stock, in the states the rows need.
        let pending = app.order(&buyer, item, 1).await["id"].as_i64().unwrap();
        let to_cancel = app.order(&buyer, item, 1).await["id"].as_i64().unwrap();
        let to_decide = app.order(&buyer, item, 1).await["id"].as_i64().unwrap();
        let to_invoice = app.order(&buyer, item, 1).await["id"].as_i64().unwrap();
        app.decide_order(&admin, to_invoice, true).await;

        let tokens: [Option<&str>; 6] =
            [None, Some(&other_buyer), Some(&other_seller), Some(&buyer), Some(&seller), Some(&admin)];
        let order_body = json!({"inventory_id": item, "quantity": 1});
        let stock_body = json!({"brand": "Matrix", "weight": 12, "location": "Kigali", "quantity": 1, "unit_price": 1});
        let approve = json!({"approve": true});

        //                                                            anon other-b other-s buyer seller admin
        let rows = vec![
            row("GET", "/api/v1/gas", None, [401, 200, 200, 200, 200, 200]),
            row("POST", "/api/v1/orders", Some(order_body), [401, 201, 403, 201, 403, 403]),
            row("GET", "/api/v1/orders", None, [401, 200, 403, 200, 403, 403]),
            row("GET", format!("/api/v1/orders/{pending}"), None, [401, 404, 404, 200, 200, 200]),
            row("POST", format!("/api/v1/orders/{to_cancel}/cancel"), None, [401, 404, 404, 200, 403, 403]),
            row("GET", format!("/api/v1/orders/{pending}/history"), None, [401, 404, 404, 200, 200, 200]),
            row(
                "POST",
                "/api/v1/feedback",
                Some(json!({"order_id": pending, "rating": 5})),
                [401, 404, 403, 409, 403, 403],
            ),
            row("GET", "/api/v1/seller/inventory", None, [401, 403, 200, 403, 200, 403]),
            row("POST", "/api/v1/seller/inventory", Some(stock_body), [401, 403, 201, 403, 201, 403]),
            row("GET", "/api/v1/seller/orders", None, [401, 403, 200, 403, 200, 403]),
            row(
                "POST",
                "/api/v1/seller/invoice",
                Some(json!({"order_id": to_invoice})),
                [401, 403, 404, 403, 201, 403],
            ),
            row("GET", "/api/v1/admin/orders/pending", None, [401, 403, 403, 403, 403, 200]),
            row(
                "PATCH",
                format!("/api/v1/admin/orders/{to_decide}/approve"),
                Some(approve.clone()),
                [401, 403, 403, 403, 403, 200],
            ),
            row("GET", "/api/v1/admin/invoices/pending", None, [401, 403, 403, 403, 403, 200]),
        ];
        run(&app, &tokens, rows).await;

        // The invoice the seller just sent, then its delivery.
        let invoices = app.get("/api/v1/admin/invoices/pending", &admin).await;
        let invoice = invoices.expect(200, "pending invoices")["items"][0]["id"].as_i64().unwrap();
        let rows = vec![
            row(
                "PATCH",
                format!("/api/v1/admin/invoices/{invoice}/approve"),
                Some(approve),
                [401, 403, 403, 403, 403, 200],
            ),
            row("PATCH", format!("/api/v1/admin/delivery/{to_invoice}/confirm"), None, [401, 403, 403, 403, 403, 200]),
        ];
        run(&app, &tokens, rows).await;
        // Feedback on the delivered order: only its buyer.
        let rows = vec![row(
            "POST",
            "/api/v1/feedback",
            Some(json!({"order_id": to_invoice, "rating": 4})),
            [401, 404, 403, 201, 403, 403],
        )];
        run(&app, &tokens, rows).await;

        // Open to everyone, signed in or not.
        for path in ["/healthz", "/readyz", "/api/v1/openapi.json", "/docs"] {
            for (caller, token) in CALLERS.iter().zip(tokens) {
                let reply = app.call("GET", path, token, None).await;
                assert_eq!(reply.status, 200, "{caller} GET {path}: {}", reply.text);
            }
        }

        // Logout last: it revokes each caller's token.
        run(&app, &tokens, vec![row("POST", "/api/v1/logout", None, [401, 204, 204, 204, 204, 204])]).await;
        for (caller, token) in CALLERS.iter().zip(tokens).skip(1) {
            let reply = app.call("GET", "/api/v1/gas", token, None).await;
            reply.expect_error(401, "unauthenticated", &format!("{caller} after logout"));
        }
    }
}

async fn run(app: &App, tokens: &[Option<&str>; 6], rows: Vec<Row>) {
    let mut failures = Vec::new();
    for row in rows {
        for ((caller, token), expected) in CALLERS.iter().zip(tokens).zip(row.expected) {
            let reply = app.call(row.method, &row.path, *token, row.body.clone()).await;
            if reply.status.as_u16() != expected {
                failures.push(format!(
                    "{caller} {} {}: expected {expected}, got {} {}",
                    row.method, row.path, reply.status, reply.text
                ));
            } else if expected >= 400 {
                crate::support::assert_error_body(&reply.body, &format!("{caller} {} {}", row.method, row.path));
            }
        }
    }
    assert!(failures.is_empty(), "authorization matrix:\n{}", failures.join("\n"));
}
