//! Money bounds: the API refuses prices, fees and quantities past their documented maxima, and
//! the reports add up whatever an older version stored, past i64, on both backends. Before,
//! `unit_price: 9223372036854775807` was taken and three such deliveries made `report sales`,
//! `--by brand` and `report sellers` fail with `integer overflow` (SQLite) or
//! `bigint out of range` (PostgreSQL).

use gasstock_core::domain::{Amount, Quantity, Role};
use gasstock_core::reports::{SalesGrouping, SalesQuery};
use gasstock_tests::fixtures::{approve, invoice, order, stock, user};
use gasstock_tests::{Backend, TestDb};
use serde_json::json;
use sqlx::Connection;

use crate::support::{App, Market};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amounts_and_quantities_past_their_maxima_are_refused() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start(backend).await;
        let Market { seller, buyer, item, .. } = app.market().await;
        let stock = |quantity: i64, unit_price: i64| json!({"brand": "Big", "weight": 12, "location": "Kigali", "quantity": quantity, "unit_price": unit_price});
        for (body, field) in [
            (stock(1, i64::MAX), "unit_price"),
            (stock(1, Amount::MAX + 1), "unit_price"),
            (stock(Quantity::MAX + 1, 1), "quantity"),
        ] {
            let reply = app.post("/api/v1/seller/inventory", &seller, body.clone()).await;
            reply.expect_error(422, "invalid", &body.to_string());
            assert_eq!(reply.body["error"]["details"]["field"], field);
        }
        app.post("/api/v1/seller/inventory", &seller, stock(Quantity::MAX, Amount::MAX))
            .await
            .expect(201, "the maxima themselves");
        // Integral floats are whole numbers (JSON Schema's integers); fractions are not.
        let reply = app.post("/api/v1/orders", &buyer, json!({"inventory_id": item, "quantity": 1.0})).await;
        assert_eq!(reply.expect(201, "quantity 1.0")["quantity"], 1);
        app.post("/api/v1/orders", &buyer, json!({"inventory_id": item, "quantity": 1.5})).await.expect_error(
            400,
            "invalid_body",
            "quantity 1.5",
        );
        let order = reply.body["id"].as_i64().unwrap();
        let fee = app
            .post("/api/v1/seller/invoice", &seller, json!({"order_id": order, "delivery_fee": Amount::MAX + 1}))
            .await;
        fee.expect_error(422, "invalid", "a fee over the maximum");
        assert_eq!(fee.body["error"]["details"]["field"], "delivery_fee");
        app.get("/api/v1/orders?page=2.0&per_page=5e0", &buyer).await.expect(200, "integral floats in the query");
    }
}

/// Orders stored with the largest i64 price (as an older version allowed) still give every
/// report, with exact sums.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_sum_stored_amounts_past_i64() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let db = TestDb::new(backend).await;
        let core = db.core().await;
        let admin = user(&core, Role::Admin, "Admin").await;
        let seller = user(&core, Role::Seller, "Seller").await;
        let buyer = user(&core, Role::Buyer, "Buyer").await;
        let item = stock(&core, &seller, 10, 100).await;
        let mut ids = Vec::new();
        for _ in 0..3 {
            let placed = order(&core, &buyer, item.id, 1).await;
            core.decide_order(&admin, placed.id, &approve()).await.expect("approve");
            let invoice = core.submit_invoice(&seller, &invoice(placed.id, None)).await.expect("invoice");
            core.decide_invoice(&admin, invoice.id, &approve()).await.expect("approve invoice");
            core.confirm_delivery(&admin, placed.id).await.expect("deliver");
            ids.push(placed.id);
        }
        // What an older version let in: the largest i64 as a unit price and total.
        let legacy = format!(
            "UPDATE orders SET unit_price = {max}, total_amount = {max} WHERE id IN ({}, {}, {})",
            ids[0],
            ids[1],
            ids[2],
            max = i64::MAX
        );
        match backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
                sqlx::query(&legacy).execute(&mut conn).await.unwrap();
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
                sqlx::query(&legacy).execute(&mut conn).await.unwrap();
            }
        }
        let expected = 3 * i128::from(i64::MAX);
        for by in [SalesGrouping::Seller, SalesGrouping::Brand, SalesGrouping::Location, SalesGrouping::Day] {
            let report =
                core.sales_report(&admin, SalesQuery { by, ..Default::default() }).await.expect("sales report");
            assert_eq!(report.rows.len(), 1, "{by:?}");
            assert_eq!((report.rows[0].orders, report.rows[0].revenue), (3, expected), "{by:?}");
            assert_eq!(report.totals[0].revenue, expected, "{by:?}");
        }
        let sellers = core.sellers_report(&admin).await.expect("sellers report");
        assert_eq!((sellers[0].delivered, sellers[0].revenue), (3, expected));
        let json = serde_json::to_string(&sellers[0]).unwrap();
        assert!(json.contains("\"revenue\":27670116110564327421"), "exact in JSON: {json}");
    }
}
