//! `gasstock stock import`: all rows or none, every bad row reported.

use gasstock_core::commands::PageRequest;
use gasstock_core::models::StockItem;
use gasstock_core::{Actor, Gasstock};
use gasstock_tests::fixtures::cast;
use gasstock_tests::for_each_backend;

use crate::harness::{gasstock, ADMIN, SELLER};

const HEADER: &str = "brand,weight,location,quantity,unit_price\n";

async fn inventory(core: &Gasstock, seller: &Actor) -> Vec<(String, i64, String, i64, i64, String)> {
    let page = PageRequest::new(Some(1), Some(100)).unwrap();
    let mut items: Vec<StockItem> = core.seller_inventory(seller, page).await.unwrap().items;
    // By key: an import inserts in key order, not file order.
    items.sort_by_key(|i| (i.brand.to_lowercase(), i.weight_kg.grams(), i.location.to_lowercase()));
    items
        .into_iter()
        .map(|i| (i.brand, i.weight_kg.grams(), i.location, i.quantity, i.unit_price, i.currency.to_string()))
        .collect()
}

pub fn import_file(db: &gasstock_tests::TestDb, csv: &[u8], extra: &[&str]) -> crate::harness::Run {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stock.csv");
    std::fs::write(&path, csv).unwrap();
    let path = path.to_str().unwrap().to_owned();
    let mut args = vec!["stock", "import", path.as_str(), "--seller", SELLER];
    args.extend_from_slice(extra);
    gasstock(db, Some(ADMIN), &args, None)
}

#[tokio::test]
async fn import_creates_updates_and_leaves_unchanged_rows() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let csv = format!("{HEADER}Jibu,12kg,Kigali,10,15000\nKgas,6 kg,Huye,0,9000\nJibu,12.5KG,Kigali,3,16000\n");
        let summary = import_file(&db, csv.as_bytes(), &["--format", "json"]).json();
        assert_eq!(summary["rows"], 3);
        assert_eq!(summary["created"], 3);
        assert_eq!((summary["updated"].as_u64(), summary["unchanged"].as_u64()), (Some(0), Some(0)));
        assert_eq!(summary["written"], true);
        assert_eq!(summary["seller_id"], c.seller.user_id);
        assert_eq!(
            inventory(&core, &c.seller).await,
            [
                ("Jibu".into(), 12_000, "Kigali".into(), 10, 15_000, "RWF".into()),
                ("Jibu".into(), 12_500, "Kigali".into(), 3, 16_000, "RWF".into()),
                ("Kgas".into(), 6_000, "Huye".into(), 0, 9_000, "RWF".into()),
            ]
        );

        // Same keys in another case, one changed price, one new row with a currency column;
        // read from stdin, CSV summary.
        let csv = "brand,weight,location,quantity,unit_price,currency\n\
                   JIBU,12,kigali,10,15000,\n\
                   kgas,6,HUYE,4,9000,RWF\n\
                   Meru,50kg,Musanze,1,80000,usd\n";
        let run = gasstock(
            &db,
            Some(ADMIN),
            &["stock", "import", "-", "--seller", SELLER, "--format", "csv"],
            Some(csv.as_bytes()),
        );
        let (header, rows) = run.csv();
        assert_eq!(header, ["seller_id", "rows", "created", "updated", "unchanged", "dry_run", "written"]);
        assert_eq!(rows[0][1..], ["3", "1", "1", "1", "false", "true"]);
        let items = inventory(&core, &c.seller).await;
        assert_eq!(items.len(), 4, "keys match case-insensitively: {items:?}");
        assert_eq!(items[2], ("Kgas".into(), 6_000, "Huye".into(), 4, 9_000, "RWF".into()));
        assert_eq!(items[3], ("Meru".into(), 50_000, "Musanze".into(), 1, 80_000, "USD".into()));

        // The table summary names the counts.
        let table = import_file(&db, csv.as_bytes(), &[]);
        table.expect_code(0);
        assert!(table.stdout.contains("unchanged") && table.stdout.contains("created"), "{}", table.stdout);
        // No progress bar when stderr is not a terminal.
        assert!(table.stderr.is_empty(), "{}", table.stderr);

        // Another seller's identical keys are separate items.
        let other = gasstock(
            &db,
            Some(ADMIN),
            &["stock", "import", "-", "--seller", "seller2@example.rw", "--format", "json"],
            Some(csv.as_bytes()),
        )
        .json();
        assert_eq!(other["created"], 3);
        assert_eq!(inventory(&core, &c.seller).await.len(), 4);
    })
    .await;
}

#[tokio::test]
async fn a_dry_run_counts_but_writes_nothing() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        import_file(&db, format!("{HEADER}Jibu,12,Kigali,1,100\n").as_bytes(), &[]).expect_code(0);
        let before = inventory(&core, &c.seller).await;
        let csv = format!("{HEADER}Jibu,12,Kigali,2,100\nKgas,6,Huye,1,1\n");
        let summary = import_file(&db, csv.as_bytes(), &["--dry-run", "--format", "json"]).json();
        assert_eq!((summary["created"].as_u64(), summary["updated"].as_u64()), (Some(1), Some(1)));
        assert_eq!((summary["dry_run"].as_bool(), summary["written"].as_bool()), (Some(true), Some(false)));
        assert_eq!(inventory(&core, &c.seller).await, before);
        // A dry run still reports bad rows with exit 2.
        let bad = import_file(&db, format!("{HEADER}Jibu,heavy,Kigali,2,100\n").as_bytes(), &["--dry-run"]);
        bad.expect_code(2);
        assert!(bad.stderr.contains("line 2, column weight"), "{}", bad.stderr);
    })
    .await;
}

#[tokio::test]
async fn every_bad_row_is_reported_and_nothing_is_written() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        import_file(&db, format!("{HEADER}Jibu,12,Kigali,1,100\n").as_bytes(), &[]).expect_code(0);
        let before = inventory(&core, &c.seller).await;
        assert_eq!(before.len(), 1);

        // (file, what stderr must say)
        let cases: Vec<(Vec<u8>, Vec<&str>)> = vec![
            // One file with many problems: all of them, with line and column.
            (
                format!(
                    "{HEADER}Good,12,Kigali,5,100\n\
                     Jibu,heavy,Kigali,5,100\n\
                     Jibu,12,Kigali,-3,100\n\
                     Jibu,12,Huye,5,12.50\n\
                     Kgas,6,Huye,1\n\
                     ,6,Huye,1,1\n\
                     Good,12kg,KIGALI,7,100\n"
                )
                .into_bytes(),
                vec![
                    "line 3, column weight",
                    "line 4, column quantity: must not be negative",
                    "line 5, column unit_price: '12.50' is not a whole number",
                    "line 6: expected 5 fields",
                    "line 7, column brand",
                    "line 8: repeats line 2",
                    "6 bad row(s)",
                ],
            ),
            (format!("{HEADER}Jibu,12 lb,Kigali,5,100\n").into_bytes(), vec!["line 2, column weight"]),
            (format!("{HEADER}Jibu,12,Kigali,-1,100\n").into_bytes(), vec!["line 2, column quantity"]),
            (format!("{HEADER}Jibu,12,Kigali,1,abc\n").into_bytes(), vec!["line 2, column unit_price: 'abc'"]),
            (
                format!("{HEADER}Jibu,12,Kigali,1,100\nKgas,6,Huye,1,1\njibu,12kg,KIGALI,2,100\n").into_bytes(),
                vec!["line 4: repeats line 2"],
            ),
            (b"brand,weight,location,unit_price\nJibu,12,Kigali,100\n".to_vec(), vec!["missing column(s) quantity"]),
            (b"name,size,town,qty,price\n".to_vec(), vec!["line 1", "missing column(s)", "unknown column 'name'"]),
            (Vec::new(), vec!["the file is empty"]),
            (HEADER.as_bytes().to_vec(), vec!["no rows after the header"]),
            (
                [HEADER.as_bytes(), b"J\xe9bu,12,Kigali,1,1\n"].concat(),
                vec!["line 2, column brand: is not valid UTF-8"],
            ),
            (b"br\xe9nd,weight\n".to_vec(), vec!["not valid UTF-8"]),
            (format!("{HEADER}Jibu,12,Kigali,1,100,RWF\n").into_bytes(), vec!["line 2: expected 5 fields"]),
            (format!("{HEADER}Jibu,12,\"Kigali,1,100\n").into_bytes(), vec!["line 2"]),
        ];
        for (csv, expected) in cases {
            let run = import_file(&db, &csv, &[]);
            let shown = String::from_utf8_lossy(&csv).into_owned();
            assert_eq!(run.code, 2, "{shown}\nstderr: {}", run.stderr);
            assert!(run.stdout.is_empty(), "{shown}: {}", run.stdout);
            for needle in expected {
                assert!(run.stderr.contains(needle), "{shown}\nstderr lacks {needle:?}:\n{}", run.stderr);
            }
            assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
            assert_eq!(inventory(&core, &c.seller).await, before, "something was written for {shown}");
        }

        // With --format json each bad row is a JSON object on its own stderr line.
        let csv = format!("{HEADER}Jibu,heavy,Kigali,1,100\nJibu,12,Kigali,1,100\njibu,12,kigali,2,100\n");
        let run = import_file(&db, csv.as_bytes(), &["--format", "json"]);
        run.expect_code(2);
        let rows: Vec<serde_json::Value> = run
            .stderr
            .lines()
            .filter(|line| line.starts_with('{'))
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(rows.len(), 2, "{}", run.stderr);
        assert_eq!((rows[0]["line"].as_u64(), rows[0]["column"].as_str()), (Some(2), Some("weight")));
        assert_eq!((rows[1]["line"].as_u64(), rows[1]["column"].is_null()), (Some(4), true));
        assert!(rows[1]["reason"].as_str().unwrap().contains("repeats line 3"));
        assert_eq!(inventory(&core, &c.seller).await, before);

        // A leading byte-order mark (Excel's "CSV UTF-8") is accepted.
        let bom = [b"\xef\xbb\xbf".as_slice(), format!("{HEADER}Jibu,12,Kigali,9,100\n").as_bytes()].concat();
        let summary = import_file(&db, &bom, &["--format", "json"]).json();
        assert_eq!(summary["updated"], 1);

        // Unknown seller, a buyer as seller, missing file, no admin.
        gasstock(&db, Some(ADMIN), &["stock", "import", "-", "--seller", "ghost@example.rw"], Some(HEADER.as_bytes()))
            .expect_code(1);
        let buyer = gasstock(
            &db,
            Some(ADMIN),
            &["stock", "import", "-", "--seller", "buyer@example.rw"],
            Some(format!("{HEADER}Jibu,12,Kigali,1,100\n").as_bytes()),
        );
        buyer.expect_code(2);
        assert!(buyer.stderr.contains("not a seller"), "{}", buyer.stderr);
        gasstock(&db, Some(ADMIN), &["stock", "import", "/no/such/file.csv", "--seller", SELLER], None).expect_code(2);
        gasstock(&db, None, &["stock", "import", "-", "--seller", SELLER], Some(HEADER.as_bytes())).expect_code(2);
        assert_eq!(inventory(&core, &c.seller).await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_large_file_imports_in_one_go() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        // More rows than one batch, so several batches share the transaction.
        let mut csv = String::from(HEADER);
        for i in 0..2_345 {
            csv.push_str(&format!("Brand{},{}kg,Town{},{},{}\n", i % 7, 1 + i % 50, i / 350, i % 40, 1000 + i));
        }
        let summary = import_file(&db, csv.as_bytes(), &["--format", "json"]).json();
        assert_eq!((summary["rows"].as_u64(), summary["created"].as_u64()), (Some(2_345), Some(2_345)));
        let page = PageRequest::new(Some(1), Some(1)).unwrap();
        assert_eq!(core.seller_inventory(&c.seller, page).await.unwrap().total, 2_345);
        // Output piped into `head -1`: the closed pipe ends the command quietly, in every format.
        for format in ["csv", "table", "json"] {
            let (first, code, stderr) =
                crate::harness::gasstock_head(&db, Some(ADMIN), &["report", "stock", "--format", format]);
            assert!(!first.is_empty());
            assert_eq!((code, stderr.as_str()), (0, ""), "{format}");
        }
        // A bad row at the very end rolls back every batch before it.
        let mut bad = csv.replace("Brand0,", "Brand9,");
        bad.push_str("Late,1kg,Town,1,-5\n");
        let run = import_file(&db, bad.as_bytes(), &[]);
        run.expect_code(2);
        assert!(run.stderr.contains("line 2347, column unit_price"), "{}", run.stderr);
        let page = PageRequest::new(Some(1), Some(1)).unwrap();
        assert_eq!(core.seller_inventory(&c.seller, page).await.unwrap().total, 2_345);
    })
    .await;
}

#[tokio::test]
async fn a_refused_file_or_a_dry_run_never_waits_for_the_sqlite_write_lock() {
    use sqlx::Connection;
    // Another process (a server, say) is in the middle of a write transaction: a file that is
    // refused, and a dry run, are still answered, since they never take the write lock.
    let db = gasstock_tests::TestDb::new(gasstock_tests::Backend::Sqlite).await;
    let core = db.core().await;
    let c = cast(&core).await;
    import_file(&db, format!("{HEADER}Jibu,12,Kigali,1,100\n").as_bytes(), &[]).expect_code(0);
    let before = inventory(&core, &c.seller).await;
    let mut writer = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut writer).await.unwrap();

    let bad = import_file(&db, format!("{HEADER}Jibu,heavy,Kigali,1,100\nKgas,6,Huye,1,1\n").as_bytes(), &[]);
    bad.expect_code(2);
    assert!(bad.stderr.contains("line 2, column weight"), "{}", bad.stderr);
    let duplicate = import_file(&db, format!("{HEADER}Kgas,6,Huye,1,1\nkgas,6,huye,2,1\n").as_bytes(), &[]);
    duplicate.expect_code(2);
    let dry =
        import_file(&db, format!("{HEADER}Jibu,12,Kigali,5,100\n").as_bytes(), &["--dry-run", "--format", "json"])
            .json();
    assert_eq!((dry["updated"].as_u64(), dry["written"].as_bool()), (Some(1), Some(false)));
    // A real write waits for the lock as long as --sqlite-busy-timeout says (default 5s), then
    // fails as a one-line internal error, writing nothing.
    let started = std::time::Instant::now();
    let locked =
        import_file(&db, format!("{HEADER}Jibu,12,Kigali,7,100\n").as_bytes(), &["--sqlite-busy-timeout", "200ms"]);
    locked.expect_code(3);
    assert!(started.elapsed() < std::time::Duration::from_secs(4), "waited {:?}", started.elapsed());
    assert_eq!(locked.stderr.lines().count(), 1, "{}", locked.stderr);

    sqlx::query("ROLLBACK").execute(&mut writer).await.unwrap();
    assert_eq!(inventory(&core, &c.seller).await, before);
}
