//! `gasstock stock ledger`, `stock adjust` and `report deposits`, against the data behind them.

use gasstock_core::commands::{OrderInput, StockItemInput};
use gasstock_core::domain::OrderKind;
use gasstock_tests::fixtures::{approve, cast, invoice, stock_input};
use gasstock_tests::for_each_backend;

use crate::harness::{col, gasstock, ADMIN};
use crate::import::import_file;

#[tokio::test]
async fn the_ledger_adjustments_and_deposits_from_the_command_line() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let input = StockItemInput { deposit: Some(30_000), ..stock_input("Jibu", "12kg", "Kigali", 10, 1_000) };
        let item = core.upsert_stock_item(&c.seller, &input).await.unwrap().0;
        let new = OrderInput {
            inventory_id: item.id,
            quantity: 2,
            delivery_address: None,
            note: None,
            kind: Some(OrderKind::New),
            payment_method: None,
            payer_phone: None,
            delivery_district: None,
        };
        let placed = core.place_order(&c.buyer, &new, None).await.unwrap().0;
        core.decide_order(&c.admin, placed.id, &approve()).await.unwrap();
        let bill = core.submit_invoice(&c.seller, &invoice(placed.id, None)).await.unwrap();
        core.decide_invoice(&c.admin, bill.id, &approve()).await.unwrap();
        core.confirm_delivery(&c.admin, placed.id).await.unwrap();
        let admin = Some(ADMIN);
        let id = item.id.to_string();

        // An admin's adjustment, and one that would go below zero (exit 1, nothing written).
        let adjusted = gasstock(
            &db,
            admin,
            &["stock", "adjust", &id, "--empty=3", "--reason", "stocktake", "--format", "json"],
            None,
        )
        .json();
        assert_eq!(
            (adjusted["item"]["empties"].as_i64(), adjusted["movement"]["reason"].as_str()),
            (Some(3), Some("stocktake"))
        );
        let refused = gasstock(&db, admin, &["stock", "adjust", &id, "--full=-9", "--reason", "lost"], None);
        refused.expect_code(1);
        assert!(refused.stderr.contains("below zero"), "{}", refused.stderr);
        // A reason that is not one: a usage error, nothing written.
        gasstock(&db, admin, &["stock", "adjust", &id, "--full=1", "--reason", "stolen"], None).expect_code(2);

        let ledger = gasstock(&db, admin, &["stock", "ledger", &id, "--format", "json"], None).json();
        let reasons: Vec<&str> = ledger.as_array().unwrap().iter().map(|m| m["reason"].as_str().unwrap()).collect();
        assert_eq!(reasons, ["stocktake", "placed", "upsert"], "newest first");
        assert_eq!(ledger[1]["order_id"], placed.id);
        let (header, rows) =
            gasstock(&db, admin, &["stock", "ledger", &id, "--format", "csv", "--limit", "1"], None).csv();
        assert_eq!((rows.len(), col(&header, &rows[0], "empty_delta")), (1, "3"));
        gasstock(&db, admin, &["stock", "ledger", "999"], None).expect_code(1);

        // Deposits held: 2 x 30,000 for the buyer with the seller; sales revenue leaves them out.
        let deposits = gasstock(&db, admin, &["report", "deposits", "--format", "json"], None).json();
        assert_eq!(deposits.as_array().unwrap().len(), 1);
        assert_eq!(
            (deposits[0]["buyer_id"].as_i64(), deposits[0]["seller_id"].as_i64()),
            (Some(c.buyer.user_id), Some(c.seller.user_id))
        );
        assert_eq!((deposits[0]["cylinders"].as_i64(), deposits[0]["amount"].as_i64()), (Some(2), Some(60_000)));
        let (header, rows) = gasstock(&db, admin, &["report", "deposits", "--format", "csv"], None).csv();
        assert_eq!(col(&header, &rows[0], "amount"), "60000");
        let table = gasstock(&db, admin, &["report", "deposits"], None);
        assert!(table.stdout.contains("TOTAL") && table.stdout.contains("60000"), "{}", table.stdout);
        let sales = gasstock(&db, admin, &["report", "sales", "--format", "json"], None).json();
        assert_eq!(sales["totals"][0]["revenue"], 2_000, "gas only: {sales}");
    })
    .await;
}

#[tokio::test]
async fn the_import_takes_the_optional_cylinder_columns_and_writes_the_ledger() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let csv = "brand,weight,location,quantity,unit_price,empties,deposit,low_stock_threshold\n\
                   Jibu,12kg,Kigali,10,15000,4,40000,3\n\
                   Kgas,6kg,Huye,5,9000,,,\n";
        let summary = import_file(&db, csv.as_bytes(), &["--format", "json"]).json();
        assert_eq!((summary["created"].as_u64(), summary["written"].as_bool()), (Some(2), Some(true)));
        let items = core.seller_inventory(&c.seller, gasstock_core::commands::PageRequest::default()).await.unwrap().items;
        let jibu = items.iter().find(|i| i.brand == "Jibu").unwrap();
        let kgas = items.iter().find(|i| i.brand == "Kgas").unwrap();
        assert_eq!((jibu.empties, jibu.deposit, jibu.low_stock_threshold), (4, 40_000, Some(3)));
        assert_eq!((kgas.empties, kgas.deposit, kgas.low_stock_threshold), (0, 0, None));
        let ledger = core.store().list_movements(jibu.id, Default::default()).await.unwrap().items;
        let lines: Vec<_> = ledger.iter().map(|m| (m.reason.as_str(), m.full_delta, m.empty_delta, m.actor_id)).collect();
        let admin_id = core.user_by_email(ADMIN).await.unwrap().unwrap().id;
        assert_eq!(lines, [("import", 10, 4, Some(admin_id))]);

        // Only the empties change (empty cells keep the rest): one updated row, one import line.
        let csv = "brand,weight,location,quantity,unit_price,empties,deposit\nJibu,12kg,Kigali,10,15000,6,\nKgas,6kg,Huye,5,9000,,\n";
        let summary = import_file(&db, csv.as_bytes(), &["--format", "json"]).json();
        assert_eq!((summary["updated"].as_u64(), summary["unchanged"].as_u64()), (Some(1), Some(1)));
        let jibu = core.stock_item(jibu.id).await.unwrap();
        assert_eq!((jibu.quantity, jibu.empties, jibu.deposit, jibu.low_stock_threshold), (10, 6, 40_000, Some(3)));
        let newest = core.store().list_movements(jibu.id, Default::default()).await.unwrap().items[0].clone();
        assert_eq!((newest.reason.as_str(), newest.full_delta, newest.empty_delta), ("import", 0, 2));
        assert_eq!(core.price_history(jibu.id).await.unwrap().len(), 1, "same price, same deposit");

        // A bad optional cell is reported with its column, and nothing is written.
        let bad = "brand,weight,location,quantity,unit_price,deposit\nJibu,12kg,Kigali,1,15000,lots\n";
        let refused = import_file(&db, bad.as_bytes(), &[]);
        refused.expect_code(2);
        assert!(refused.stderr.contains("column deposit"), "{}", refused.stderr);
        assert_eq!(core.stock_item(jibu.id).await.unwrap().quantity, 10);
    })
    .await;
}
