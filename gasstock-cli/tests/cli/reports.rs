//! `gasstock report sales | stock | sellers`, checked against the data behind them.

use chrono::Utc;
use gasstock_core::Actor;
use gasstock_core::Gasstock;
use gasstock_tests::fixtures::{approve, cast, invoice, order, stock_input};
use gasstock_tests::for_each_backend;

use crate::admin::five_stars;
use crate::harness::{col, gasstock, ADMIN};

/// Places, approves, invoices and delivers an order of `quantity` on `item`.
async fn deliver(core: &Gasstock, buyer: &Actor, seller: &Actor, admin: &Actor, item: i64, quantity: i64) -> i64 {
    let placed = order(core, buyer, item, quantity).await;
    core.decide_order(admin, placed.id, &approve()).await.unwrap();
    let bill = core.submit_invoice(seller, &invoice(placed.id, Some(500))).await.unwrap();
    core.decide_invoice(admin, bill.id, &approve()).await.unwrap();
    core.confirm_delivery(admin, placed.id).await.unwrap();
    placed.id
}

#[tokio::test]
async fn reports_match_the_orders_stock_and_feedback() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let jibu =
            core.upsert_stock_item(&c.seller, &stock_input("Jibu", "12kg", "Kigali", 20, 1_000)).await.unwrap().0;
        let kgas = core.upsert_stock_item(&c.seller, &stock_input("Kgas", "6kg", "Huye", 10, 500)).await.unwrap().0;
        let other =
            core.upsert_stock_item(&c.other_seller, &stock_input("JIBU", "12kg", "kigali", 4, 2_000)).await.unwrap().0;

        let first = deliver(&core, &c.buyer, &c.seller, &c.admin, jibu.id, 3).await; // 3000
        deliver(&core, &c.buyer, &c.seller, &c.admin, kgas.id, 2).await; // 1000
        deliver(&core, &c.other_buyer, &c.other_seller, &c.admin, other.id, 1).await; // 2000
                                                                                      // Not delivered: pending (holds 5 of jibu) and rejected.
        order(&core, &c.buyer, jibu.id, 5).await;
        let rejected = order(&core, &c.buyer, kgas.id, 1).await;
        core.decide_order(&c.admin, rejected.id, &gasstock_tests::fixtures::reject("no")).await.unwrap();
        core.leave_feedback(&c.buyer, &five_stars(first)).await.unwrap();
        let admin = Some(ADMIN);

        // Sales by seller: delivered orders only, revenue = order totals.
        let sales = gasstock(&db, admin, &["report", "sales", "--format", "json"], None).json();
        assert_eq!(sales["by"], "seller");
        let rows = sales["rows"].as_array().unwrap();
        let by_key = |key: &str| rows.iter().find(|r| r["key"] == key).unwrap_or_else(|| panic!("no {key}: {sales}"));
        let seller = by_key("seller@example.rw");
        assert_eq!(
            (seller["orders"].as_i64(), seller["quantity"].as_i64(), seller["revenue"].as_i64()),
            (Some(2), Some(5), Some(4_000))
        );
        assert_eq!(seller["currency"], "RWF");
        let seller2 = by_key("seller2@example.rw");
        assert_eq!((seller2["orders"].as_i64(), seller2["revenue"].as_i64()), (Some(1), Some(2_000)));
        assert_eq!(rows.len(), 2);
        assert_eq!(sales["totals"][0]["revenue"], 6_000);
        assert_eq!(sales["totals"][0]["orders"], 3);
        assert_eq!(sales["totals"][0]["quantity"], 6);

        // By brand: case-insensitive groups.
        let brands = gasstock(&db, admin, &["report", "sales", "--by", "brand", "--format", "csv"], None);
        let (header, rows) = brands.csv();
        assert_eq!(header, ["key", "currency", "orders", "quantity", "revenue"]);
        assert_eq!(rows.len(), 2, "{rows:?}");
        let jibu_row = rows.iter().find(|r| col(&header, r, "key").eq_ignore_ascii_case("jibu")).unwrap();
        assert_eq!((col(&header, jibu_row, "orders"), col(&header, jibu_row, "revenue")), ("2", "5000"));
        let by_location =
            gasstock(&db, admin, &["report", "sales", "--by", "location", "--format", "json"], None).json();
        assert_eq!(by_location["rows"].as_array().unwrap().len(), 2);

        // By day, with date ranges bound as instants on both backends.
        let today = Utc::now().date_naive().to_string();
        let days = gasstock(
            &db,
            admin,
            &["report", "sales", "--by", "day", "--from", &today, "--to", &today, "--format", "json"],
            None,
        )
        .json();
        assert_eq!(days["rows"].as_array().unwrap().len(), 1, "{days}");
        assert_eq!(days["rows"][0]["key"], today);
        assert_eq!(days["rows"][0]["orders"], 3);
        let earlier = gasstock(&db, admin, &["report", "sales", "--to", "2020-01-01", "--format", "json"], None).json();
        assert!(earlier["rows"].as_array().unwrap().is_empty());
        let later = gasstock(&db, admin, &["report", "sales", "--from", "2999-01-01", "--format", "json"], None).json();
        assert!(later["rows"].as_array().unwrap().is_empty());
        let table = gasstock(&db, admin, &["report", "sales"], None);
        table.expect_code(0);
        assert!(table.stdout.contains("TOTAL") && table.stdout.contains("6000"), "{}", table.stdout);
        // The table names the key column after the grouping (CSV keeps "key", above).
        let table = gasstock(&db, admin, &["report", "sales", "--by", "brand"], None);
        table.expect_code(0);
        let header = table.stdout.lines().find(|line| line.contains("currency")).unwrap_or_default();
        assert!(header.contains("brand") && !header.contains("key"), "{}", table.stdout);
        gasstock(&db, admin, &["report", "sales", "--from", "yesterday"], None).expect_code(2);
        gasstock(&db, admin, &["report", "sales", "--from", "2026-02-02", "--to", "2026-02-01"], None).expect_code(2);
        gasstock(&db, admin, &["report", "sales", "--by", "week"], None).expect_code(2);

        // Stock: available and reserved, low flagged at the threshold.
        let stock = gasstock(&db, admin, &["report", "stock", "--low", "5", "--format", "json"], None).json();
        let items = stock.as_array().unwrap();
        assert_eq!(items.len(), 3);
        let find = |id: i64| items.iter().find(|i| i["id"] == id).unwrap();
        let j = find(jibu.id);
        // 20 - 3 delivered - 5 pending = 12 available, 5 reserved.
        assert_eq!(
            (j["quantity"].as_i64(), j["reserved"].as_i64(), j["low"].as_bool()),
            (Some(12), Some(5), Some(false))
        );
        assert_eq!(j["weight_kg"], 12);
        assert_eq!(j["seller_email"], "seller@example.rw");
        let k = find(kgas.id);
        assert_eq!(
            (k["quantity"].as_i64(), k["reserved"].as_i64(), k["low"].as_bool()),
            (Some(8), Some(0), Some(false))
        );
        let o = find(other.id);
        assert_eq!((o["quantity"].as_i64(), o["low"].as_bool()), (Some(3), Some(true)));
        let (header, low_rows) =
            gasstock(&db, admin, &["report", "stock", "--low", "8", "--only-low", "--format", "csv"], None).csv();
        let mut low_ids: Vec<&str> = low_rows.iter().map(|r| col(&header, r, "id")).collect();
        low_ids.sort();
        let mut expected = vec![kgas.id.to_string(), other.id.to_string()];
        expected.sort();
        assert_eq!(low_ids, expected);
        assert!(low_rows.iter().all(|r| col(&header, r, "low") == "true"));
        gasstock(&db, admin, &["report", "stock", "--low", "-1"], None).expect_code(2);

        // Sellers: orders in any status, deliveries, revenue, ratings.
        let sellers = gasstock(&db, admin, &["report", "sellers", "--format", "json"], None).json();
        let rows = sellers.as_array().unwrap();
        assert_eq!(rows.len(), 2);
        let s = rows.iter().find(|r| r["email"] == "seller@example.rw").unwrap();
        assert_eq!(
            (s["orders"].as_i64(), s["delivered"].as_i64(), s["revenue"].as_i64()),
            (Some(4), Some(2), Some(4_000))
        );
        assert_eq!((s["average_rating"].as_f64(), s["ratings"].as_i64()), (Some(5.0), Some(1)));
        assert_eq!(s["currency"], "RWF");
        let s2 = rows.iter().find(|r| r["email"] == "seller2@example.rw").unwrap();
        assert_eq!((s2["orders"].as_i64(), s2["ratings"].as_i64()), (Some(1), Some(0)));
        assert!(s2["average_rating"].is_null());
        let (header, rows) = gasstock(&db, admin, &["report", "sellers", "--format", "csv"], None).csv();
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().any(|r| col(&header, r, "average_rating") == "5.00"));

        // Reports are for admins.
        gasstock(&db, Some("buyer@example.rw"), &["report", "sellers"], None).expect_code(1);
        assert_eq!(core.store().get_stock_item(jibu.id).await.unwrap().unwrap().quantity, 12);
    })
    .await;
}
