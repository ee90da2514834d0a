//! Accounts, approvals, invoices, deliveries, errors and exit codes.

use gasstock_core::commands::FeedbackInput;
use gasstock_core::domain::{OrderStatus, Role};
use gasstock_tests::fixtures::{approve, cast, invoice, order, stock};
use gasstock_tests::for_each_backend;

use crate::harness::{col, gasstock, ADMIN};

#[tokio::test]
async fn create_admin_reads_the_password_from_stdin_and_the_admin_can_act() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let created = gasstock(
            &db,
            None,
            &[
                "users",
                "create-admin",
                "--email",
                "Root@Example.rw",
                "--name",
                "Root",
                "--password-stdin",
                "--format",
                "json",
            ],
            Some(b"correct horse battery\n"),
        )
        .json();
        assert_eq!(created["email"], "root@example.rw");
        assert_eq!(created["role"], "admin");
        assert_eq!(created["name"], "Root");
        assert!(created.get("password_hash").is_none());
        // The password is the line without its newline.
        core.verify_credentials("root@example.rw", "correct horse battery").await.expect("password as typed");

        // Same email again: refused by the rules.
        let again = gasstock(
            &db,
            None,
            &["users", "create-admin", "--email", "root@example.rw", "--password-stdin"],
            Some(b"another password\n"),
        );
        again.expect_code(1);
        assert!(again.stderr.contains("already registered"), "{}", again.stderr);
        // Never from the command line; weak passwords and bad emails are bad input.
        gasstock(&db, None, &["users", "create-admin", "--email", "x@example.rw"], None).expect_code(2);
        gasstock(&db, None, &["users", "create-admin", "--email", "x@example.rw", "--password", "pw"], None)
            .expect_code(2);
        gasstock(
            &db,
            None,
            &["users", "create-admin", "--email", "x@example.rw", "--password-stdin"],
            Some(b"short\n"),
        )
        .expect_code(2);
        gasstock(
            &db,
            None,
            &["users", "create-admin", "--email", "not-an-email", "--password-stdin"],
            Some(b"long enough pw\n"),
        )
        .expect_code(2);
        assert!(core.user_by_email("x@example.rw").await.unwrap().is_none());

        // The new admin can list users, by role, in every format.
        cast(&core).await;
        let all = gasstock(&db, Some("root@example.rw"), &["users", "list", "--format", "json"], None).json();
        let emails: Vec<&str> = all.as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect();
        assert_eq!(emails.len(), 6, "{emails:?}");
        assert_eq!(emails[0], "root@example.rw");
        let sellers =
            gasstock(&db, Some("root@example.rw"), &["users", "list", "--role", "seller", "--format", "csv"], None);
        let (header, rows) = sellers.csv();
        assert_eq!(header, ["id", "email", "name", "role", "phone", "location", "created_at"]);
        let mut seller_emails: Vec<&str> = rows.iter().map(|r| col(&header, r, "email")).collect();
        seller_emails.sort();
        assert_eq!(seller_emails, ["seller2@example.rw", "seller@example.rw"]);
        assert!(rows.iter().all(|r| col(&header, r, "role") == "seller"));
        let table = gasstock(&db, Some("root@example.rw"), &["users", "list", "--role", "buyer"], None);
        table.expect_code(0);
        assert!(
            table.stdout.contains("buyer2@example.rw") && !table.stdout.contains("seller@example.rw"),
            "{}",
            table.stdout
        );
        gasstock(&db, Some("root@example.rw"), &["users", "list", "--role", "king"], None).expect_code(2);
    })
    .await;
}

#[tokio::test]
async fn approving_and_rejecting_orders_follows_the_rules_and_records_the_admin() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let item = stock(&core, &c.seller, 10, 15_000).await;
        let first = order(&core, &c.buyer, item.id, 3).await;
        let second = order(&core, &c.other_buyer, item.id, 2).await;
        let admin = Some(ADMIN);

        // Pending queue, oldest first, in JSON, CSV and table.
        let pending = gasstock(&db, admin, &["orders", "pending", "--format", "json"], None).json();
        let pending = pending.as_array().unwrap();
        assert_eq!(pending.len(), 2);
        assert_eq!(pending[0]["id"], first.id);
        assert_eq!(pending[0]["status"], "pending");
        assert_eq!(pending[0]["quantity"], 3);
        assert_eq!(pending[0]["total_amount"], 45_000);
        assert_eq!(pending[0]["weight_kg"], 12);
        assert_eq!(pending[0]["currency"], "RWF");
        assert_eq!(pending[1]["id"], second.id);
        let (header, rows) = gasstock(&db, admin, &["orders", "pending", "--format", "csv"], None).csv();
        assert_eq!(rows.len(), 2);
        assert_eq!(col(&header, &rows[1], "id"), second.id.to_string());
        assert_eq!(col(&header, &rows[1], "total_amount"), "30000");
        let table = gasstock(&db, admin, &["orders", "pending"], None);
        table.expect_code(0);
        assert!(table.stdout.contains("45000") && table.stdout.contains("Jibu"), "{}", table.stdout);

        // Approve: the order moves, the event names the admin.
        let approved =
            gasstock(&db, admin, &["orders", "approve", &first.id.to_string(), "--format", "json"], None).json();
        assert_eq!(approved["status"], "approved");
        assert_eq!(core.order(&c.admin, first.id).await.unwrap().status, OrderStatus::Approved);
        let events = core.order_history(&c.admin, first.id).await.unwrap();
        let last = events.last().unwrap();
        assert_eq!((last.to_status.as_str(), last.actor_id), ("approved", Some(c.admin.user_id)));

        // Approving twice is refused with a clear message and exit code 1.
        let twice = gasstock(&db, admin, &["orders", "approve", &first.id.to_string()], None);
        twice.expect_code(1);
        assert!(twice.stderr.starts_with("error: ") && twice.stderr.contains("order is approved"), "{}", twice.stderr);
        assert_eq!(twice.stderr.lines().count(), 1, "one line: {}", twice.stderr);

        // A reason is optional (as over HTTP): without one the event has none.
        let third = order(&core, &c.buyer, item.id, 1).await;
        let rejected =
            gasstock(&db, admin, &["orders", "reject", &third.id.to_string(), "--format", "json"], None).json();
        assert_eq!(rejected["status"], "rejected");
        let events = core.order_history(&c.admin, third.id).await.unwrap();
        let last = events.last().unwrap();
        assert_eq!((last.to_status.as_str(), last.reason.as_deref()), ("rejected", None), "{events:?}");
        assert_eq!(last.actor_id, Some(c.admin.user_id));

        // With a reason: the stock comes back; the reason is recorded.
        let rejected = gasstock(
            &db,
            admin,
            &["orders", "reject", &second.id.to_string(), "--reason", "no truck", "--format", "json"],
            None,
        )
        .json();
        assert_eq!(rejected["status"], "rejected");
        assert_eq!(core.store().get_stock_item(item.id).await.unwrap().unwrap().quantity, 10 - 3);
        let shown = gasstock(&db, admin, &["orders", "show", &second.id.to_string(), "--format", "json"], None).json();
        assert_eq!(shown["order"]["status"], "rejected");
        let history = shown["events"].as_array().unwrap();
        let last = history.last().unwrap();
        assert_eq!(last["to_status"], "rejected");
        assert_eq!(last["reason"], "no truck");
        assert_eq!(last["actor_id"], c.admin.user_id);
        let table = gasstock(&db, admin, &["orders", "show", &second.id.to_string()], None);
        table.expect_code(0);
        assert!(table.stdout.contains("no truck"), "{}", table.stdout);

        // Nothing pending any more.
        let pending = gasstock(&db, admin, &["orders", "pending", "--format", "json"], None).json();
        assert_eq!(pending.as_array().unwrap().len(), 0);

        // Not found, not an admin, no admin, unknown admin.
        gasstock(&db, admin, &["orders", "approve", "9999"], None).expect_code(1);
        gasstock(&db, admin, &["orders", "show", "9999"], None).expect_code(1);
        let seller = gasstock(&db, Some("seller@example.rw"), &["orders", "pending"], None);
        seller.expect_code(1);
        assert!(seller.stderr.contains("not an admin"), "{}", seller.stderr);
        let nobody = gasstock(&db, None, &["orders", "pending"], None);
        nobody.expect_code(2);
        assert!(nobody.stderr.contains("--as"), "{}", nobody.stderr);
        gasstock(&db, Some("ghost@example.rw"), &["orders", "pending"], None).expect_code(1);
        // --as on the command line works like GASSTOCK_ADMIN.
        gasstock(&db, None, &["--as", ADMIN, "orders", "pending"], None).expect_code(0);
        // Usage errors.
        gasstock(&db, admin, &["orders", "approve", "abc"], None).expect_code(2);
        gasstock(&db, admin, &["orders", "frobnicate"], None).expect_code(2);
    })
    .await;
}

#[tokio::test]
async fn invoices_and_delivery_release_one_payment() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let item = stock(&core, &c.seller, 10, 15_000).await;
        let placed = order(&core, &c.buyer, item.id, 2).await;
        core.decide_order(&c.admin, placed.id, &approve()).await.unwrap();
        let bill = core.submit_invoice(&c.seller, &invoice(placed.id, Some(1_000))).await.unwrap();
        let admin = Some(ADMIN);

        // Delivery before the invoice is approved: refused.
        gasstock(&db, admin, &["delivery", "confirm", &placed.id.to_string()], None).expect_code(1);

        let pending = gasstock(&db, admin, &["invoices", "pending", "--format", "json"], None).json();
        assert_eq!(pending.as_array().unwrap().len(), 1);
        assert_eq!(pending[0]["id"], bill.id);
        assert_eq!(pending[0]["amount"], 31_000);
        let (header, rows) = gasstock(&db, admin, &["invoices", "pending", "--format", "csv"], None).csv();
        assert_eq!(col(&header, &rows[0], "order_id"), placed.id.to_string());

        // Reject, without a reason (optional, as over HTTP): the order goes back to approved, the
        // event has no reason, and the seller invoices again.
        gasstock(&db, admin, &["invoices", "reject", &bill.id.to_string()], None).expect_code(0);
        assert_eq!(core.order(&c.admin, placed.id).await.unwrap().status, OrderStatus::Approved);
        let events = core.order_history(&c.admin, placed.id).await.unwrap();
        let event =
            events.iter().find(|e| e.entity == "invoice" && e.entity_id == bill.id && e.to_status == "rejected");
        assert_eq!(event.map(|e| (e.reason.as_deref(), e.actor_id)), Some((None, Some(c.admin.user_id))), "{events:?}");
        gasstock(&db, admin, &["invoices", "approve", &bill.id.to_string()], None).expect_code(1);

        // Reject with a reason: recorded.
        let retry = core.submit_invoice(&c.seller, &invoice(placed.id, Some(1_000))).await.unwrap();
        let rejected = gasstock(
            &db,
            admin,
            &["invoices", "reject", &retry.id.to_string(), "--reason", "fee too high", "--format", "json"],
            None,
        )
        .json();
        assert_eq!(rejected["status"], "rejected");
        assert_eq!(core.order(&c.admin, placed.id).await.unwrap().status, OrderStatus::Approved);
        let events = core.order_history(&c.admin, placed.id).await.unwrap();
        assert_eq!(events.last().and_then(|e| e.reason.as_deref()), Some("fee too high"), "{events:?}");
        let second = core.submit_invoice(&c.seller, &invoice(placed.id, None)).await.unwrap();
        let approved =
            gasstock(&db, admin, &["invoices", "approve", &second.id.to_string(), "--format", "json"], None).json();
        assert_eq!(approved["status"], "approved");
        gasstock(&db, admin, &["invoices", "approve", &second.id.to_string()], None).expect_code(1);
        gasstock(&db, admin, &["invoices", "approve", "9999"], None).expect_code(1);

        let delivered =
            gasstock(&db, admin, &["delivery", "confirm", &placed.id.to_string(), "--format", "json"], None).json();
        assert_eq!(delivered["order"]["status"], "delivered");
        assert_eq!(delivered["payment"]["status"], "released");
        assert_eq!(delivered["payment"]["amount"], 30_000);
        assert_eq!(delivered["payment"]["invoice_id"], second.id);
        let again = gasstock(&db, admin, &["delivery", "confirm", &placed.id.to_string()], None);
        again.expect_code(1);
        assert!(again.stderr.contains("already"), "{}", again.stderr);
        let facts = db.payment_facts().await;
        assert_eq!(facts.len(), 1);
        assert_eq!(facts[0].payments, 1);
        let events = core.order_history(&c.admin, placed.id).await.unwrap();
        assert!(events.iter().any(|e| e.to_status == "delivered" && e.actor_id == Some(c.admin.user_id)));
    })
    .await;
}

#[tokio::test]
async fn an_approval_from_the_cli_is_seen_at_once_by_a_process_holding_the_database_open() {
    // The server holds its pools open on the same database; a core opened here stands in for
    // it (SQLite in WAL mode lets the CLI write beside it).
    for_each_backend(|db| async move {
        let server_side = db.core().await;
        let c = cast(&server_side).await;
        let item = stock(&server_side, &c.seller, 5, 1_000).await;
        let placed = order(&server_side, &c.buyer, item.id, 1).await;
        // Warm the reader pool so that a stale snapshot would show.
        assert_eq!(server_side.order(&c.buyer, placed.id).await.unwrap().status, OrderStatus::Pending);
        gasstock(&db, Some(ADMIN), &["orders", "approve", &placed.id.to_string()], None).expect_code(0);
        assert_eq!(server_side.order(&c.buyer, placed.id).await.unwrap().status, OrderStatus::Approved);
        // And the other way round: a write by the open process is seen by the CLI.
        let other = order(&server_side, &c.buyer, item.id, 1).await;
        let pending = gasstock(&db, Some(ADMIN), &["orders", "pending", "--format", "json"], None).json();
        assert_eq!(pending.as_array().map(Vec::len), Some(1), "the approved one is gone: {pending}");
        assert_eq!(pending[0]["id"], other.id);
    })
    .await;
}

#[tokio::test]
async fn lists_longer_than_a_page_are_read_to_the_end() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let item = stock(&core, &c.seller, 500, 1_000).await;
        // More than one page of the core (100 a page), oldest first.
        let mut placed = Vec::new();
        for _ in 0..205 {
            placed.push(order(&core, &c.buyer, item.id, 1).await.id);
        }
        let pending = gasstock(&db, Some(ADMIN), &["orders", "pending", "--format", "json"], None).json();
        let listed: Vec<i64> = pending.as_array().unwrap().iter().map(|o| o["id"].as_i64().unwrap()).collect();
        assert_eq!(listed, placed);
        let (_, rows) = gasstock(&db, Some(ADMIN), &["orders", "pending", "--format", "csv"], None).csv();
        assert_eq!(rows.len(), 205);
    })
    .await;
}

#[tokio::test]
async fn bad_database_urls_and_help() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        cast(&core).await;
        let bad = gasstock(&db, Some(ADMIN), &["--database-url", "mysql://x", "orders", "pending"], None);
        bad.expect_code(2);
        assert!(bad.stderr.contains("not a database URL"), "{}", bad.stderr);
        let unreachable = gasstock(
            &db,
            Some(ADMIN),
            &["--database-url", "sqlite:///nonexistent-folder/deeper/x.db", "orders", "pending"],
            None,
        );
        unreachable.expect_code(3);
        assert_eq!(unreachable.stderr.lines().count(), 1, "{}", unreachable.stderr);
        let help = gasstock(&db, None, &["--help"], None);
        help.expect_code(0);
        for command in ["users", "orders", "invoices", "delivery", "stock", "report", "completions"] {
            assert!(help.stdout.contains(command), "{command} missing from --help");
        }
        // Every global setting with its variable; the store's defaults are the core's.
        for setting in [
            "--database-url",
            "[env: GASSTOCK_DATABASE_URL]",
            "[env: GASSTOCK_FORMAT=]",
            "[env: GASSTOCK_ADMIN=]",
            "--sqlite-read-connections",
            "[env: GASSTOCK_SQLITE_READ_CONNECTIONS=]",
            "[env: GASSTOCK_SQLITE_BUSY_TIMEOUT=]",
            "[env: GASSTOCK_SQLITE_SYNCHRONOUS_FULL=]",
            "[env: GASSTOCK_PG_MAX_CONNECTIONS=]",
            "[env: GASSTOCK_PG_ACQUIRE_TIMEOUT=]",
            "[default: 5s]",
            "[default: sqlite://gasstock.db]",
        ] {
            assert!(help.stdout.contains(setting), "{setting} missing from --help: {}", help.stdout);
        }
        let sub_help = gasstock(&db, None, &["orders", "reject", "--help"], None);
        assert!(sub_help.expect_code(0).stdout.contains("GASSTOCK_PG_MAX_CONNECTIONS"), "{}", sub_help.stdout);
        for shell in ["bash", "zsh", "fish"] {
            let script = gasstock(&db, None, &["completions", shell], None);
            script.expect_code(0);
            assert!(script.stdout.contains("gasstock") && script.stdout.contains("create-admin"), "{shell}");
        }
        gasstock(&db, None, &["completions", "powershell"], None).expect_code(2);
        gasstock(&db, None, &["--format", "xml", "orders", "pending"], None).expect_code(2);
        // A seller may not be made admin by the CLI's listing role filter either way.
        assert_eq!(core.user_by_email("seller@example.rw").await.unwrap().unwrap().role, Role::Seller);
    })
    .await;
}

/// Feedback used by the reports tests, kept here with the other fixtures of this suite.
pub fn five_stars(order_id: i64) -> FeedbackInput {
    FeedbackInput { order_id, rating: 5, comment: None }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_approval_by_the_cli_is_seen_by_the_running_server_at_once() {
    use serde_json::{json, Value};
    for_each_backend(|db| async move {
        let mut config =
            gasstock_server::Config::new(db.url.clone(), b"cli test secret: 32 bytes or more, HS256".to_vec());
        config.bind = "127.0.0.1:0".parse().unwrap();
        let server = gasstock_server::start(config).await.expect("server starts");
        let http = reqwest::Client::new();
        let api = |path: &str| format!("{}/api/v1{path}", server.url());
        let call = |method: reqwest::Method, path: String, token: Option<String>, body: Option<Value>| {
            let mut request = http.request(method, path);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            if let Some(body) = body {
                request = request.json(&body);
            }
            async move {
                let response = request.send().await.expect("request");
                let status = response.status().as_u16();
                (status, response.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let password = "correct horse battery";
        let login = |email: &'static str| {
            let call = &call;
            let api = &api;
            async move {
                let (status, body) = call(
                    reqwest::Method::POST,
                    api("/login"),
                    None,
                    Some(json!({"email": email, "password": password})),
                )
                .await;
                assert_eq!(status, 200, "login {email}: {body}");
                body["token"].as_str().unwrap().to_owned()
            }
        };
        for (email, role) in [("buyer@example.rw", "buyer"), ("seller@example.rw", "seller")] {
            let body = json!({"email": email, "password": password, "name": role, "role": role});
            let (status, reply) = call(reqwest::Method::POST, api("/register"), None, Some(body)).await;
            assert_eq!(status, 201, "{reply}");
        }
        gasstock(
            &db,
            None,
            &["users", "create-admin", "--email", ADMIN, "--password-stdin"],
            Some(b"correct horse battery\n"),
        )
        .expect_code(0);
        let (buyer, seller, admin) =
            (login("buyer@example.rw").await, login("seller@example.rw").await, login(ADMIN).await);
        let item = json!({"brand": "Jibu", "weight": "12kg", "location": "Kigali", "quantity": 5, "unit_price": 15000});
        let (status, item) = call(reqwest::Method::POST, api("/seller/inventory"), Some(seller), Some(item)).await;
        assert_eq!(status, 201, "{item}");
        let (status, placed) = call(
            reqwest::Method::POST,
            api("/orders"),
            Some(buyer.clone()),
            Some(json!({"inventory_id": item["id"], "quantity": 2})),
        )
        .await;
        assert_eq!(status, 201, "{placed}");
        let id = placed["id"].as_i64().unwrap();
        let (_, pending) = call(reqwest::Method::GET, api("/admin/orders/pending"), Some(admin.clone()), None).await;
        assert_eq!(pending["total"], 1);

        gasstock(&db, Some(ADMIN), &["orders", "approve", &id.to_string()], None).expect_code(0);

        let (status, seen) = call(reqwest::Method::GET, api(&format!("/orders/{id}")), Some(buyer), None).await;
        assert_eq!((status, seen["status"].as_str()), (200, Some("approved")), "{seen}");
        let (_, pending) = call(reqwest::Method::GET, api("/admin/orders/pending"), Some(admin.clone()), None).await;
        assert_eq!(pending["total"], 0);
        // And the server's own approval attempt now meets the CLI's: approving twice is a 409.
        let (status, _) = call(
            reqwest::Method::PATCH,
            api(&format!("/admin/orders/{id}/approve")),
            Some(admin),
            Some(json!({"approve": true})),
        )
        .await;
        assert_eq!(status, 409);
        server.shutdown().await;
    })
    .await;
}
