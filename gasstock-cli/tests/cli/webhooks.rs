//! `gasstock webhooks ...`, `gasstock orders history ID`, and a change made with the CLI
//! reaching a running server's notification stream and webhooks.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use gasstock_core::webhooks::{verify, WebhookWorker, WorkerConfig, SIGNATURE_HEADER};
use gasstock_tests::fixtures::{approve, cast, invoice, order, reject, stock};
use gasstock_tests::{for_each_backend, TestDb};
use serde_json::{json, Value};
use warp::Filter;

use crate::harness::{col, gasstock, ADMIN};
use crate::sse_client::SseStream;

const PASSWORD: &str = "correct horse battery";
const WAIT: Duration = Duration::from_secs(15);

/// A receiver on 127.0.0.1 (webhooks to it need `--allow-private-host`) recording (signature header, body) of every POST.
async fn receiver() -> (String, Arc<Mutex<Vec<(String, String)>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = received.clone();
    let route = warp::post().and(warp::header::<String>(SIGNATURE_HEADER)).and(warp::body::bytes()).map(
        move |signature: String, body: bytes::Bytes| {
            log.lock().unwrap().push((signature, String::from_utf8_lossy(&body).into_owned()));
            warp::http::StatusCode::OK
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(warp::serve(route).incoming(listener).run());
    (format!("http://{addr}/hooks"), received)
}

/// POSTs `body` as `token`, expects 201 Created, and gives the reply.
async fn post(client: &reqwest::Client, url: &str, token: &str, body: Value) -> Value {
    let reply = client.post(url).bearer_auth(token).json(&body).send().await.unwrap();
    let status = reply.status();
    let reply: Value = reply.json().await.unwrap();
    assert_eq!(status, 201, "POST {url}: {reply}");
    reply
}

/// Runs the CLI without blocking the runtime's other tasks (the server runs on them).
fn cli(db: &TestDb, admin: Option<&str>, args: &[&str]) -> crate::harness::Run {
    tokio::task::block_in_place(|| gasstock(db, admin, args, None))
}

#[tokio::test]
async fn webhooks_are_managed_from_the_cli() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let admin = Some(ADMIN);
        let (url, received) = receiver().await;

        let added = gasstock(
            &db,
            admin,
            &[
                "webhooks",
                "add",
                &url,
                "--events",
                "order.approved,payment.released",
                "--allow-private-host",
                "--format",
                "json",
            ],
            None,
        )
        .json();
        let id = added["id"].as_i64().expect("an id");
        let secret = added["secret"].as_str().expect("the generated secret").to_owned();
        assert!(secret.starts_with("whsec_") && secret.len() > 40, "{secret}");
        assert_eq!(added["events"], "order.approved,payment.released");
        assert_eq!(added["allow_private_host"], true);
        let table = gasstock(&db, admin, &["webhooks", "add", &url, "--events", "*", "--allow-private-host"], None);
        table.expect_code(0);
        assert!(table.stdout.contains("whsec_"), "the table shows the new secret: {}", table.stdout);

        // Bad input is exit 2, the rules exit 1.
        gasstock(&db, admin, &["webhooks", "add", "ftp://x.rw", "--events", "*"], None).expect_code(2);
        // Targets that are not public need the opt-in; odd IP notations and credentials are
        // refused even with it. Nothing is stored.
        let private = gasstock(&db, admin, &["webhooks", "add", &url, "--events", "*"], None);
        private.expect_code(2);
        assert!(
            private.stderr.contains("loopback") && private.stderr.contains("--allow-private-host"),
            "{}",
            private.stderr
        );
        for target in ["http://169.254.169.254/latest", "http://[::1]/", "http://localhost/", "http://10.0.0.1/"] {
            let refused = gasstock(&db, admin, &["webhooks", "add", target, "--events", "*"], None);
            refused.expect_code(2);
            assert!(refused.stderr.contains("not allowed"), "{target}: {}", refused.stderr);
        }
        for (target, why) in [
            ("http://2130706433/", "127.0.0.1"),
            ("http://0177.0.0.1/", "127.0.0.1"),
            ("http://0x7f.1/", "127.0.0.1"),
            ("http://127.1/", "127.0.0.1"),
            ("http://user:pw@hooks.example.rw/", "credentials"),
            ("http://0.0.0.0/", "unspecified"),
        ] {
            let refused =
                gasstock(&db, admin, &["webhooks", "add", target, "--events", "*", "--allow-private-host"], None);
            refused.expect_code(2);
            assert!(refused.stderr.contains(why), "{target}: {}", refused.stderr);
        }
        let unknown =
            gasstock(&db, admin, &["webhooks", "add", &url, "--events", "order.shipped", "--allow-private-host"], None);
        unknown.expect_code(2);
        assert!(unknown.stderr.contains("order.shipped"), "{}", unknown.stderr);
        gasstock(&db, admin, &["webhooks", "add", &url], None).expect_code(2);
        gasstock(&db, None, &["webhooks", "list"], None).expect_code(2);
        gasstock(&db, Some("seller@example.rw"), &["webhooks", "list"], None).expect_code(1);

        // Listed with masked secrets unless asked.
        let listed = gasstock(&db, admin, &["webhooks", "list", "--format", "json"], None).json();
        let hooks = listed.as_array().unwrap();
        assert_eq!(hooks.len(), 2);
        assert_eq!(hooks[0]["id"].as_i64(), Some(id));
        let masked = format!("{}…{}", &secret[..10], &secret[secret.len() - 4..]);
        assert_eq!(hooks[0]["secret"].as_str(), Some(masked.as_str()), "masked, yet told apart");
        assert!(!listed.to_string().contains(&secret[10..]), "no secret in the plain listing");
        let shown = gasstock(&db, admin, &["webhooks", "list", "--show-secrets", "--format", "json"], None).json();
        assert_eq!(shown[0]["secret"].as_str(), Some(secret.as_str()));
        let (header, rows) = gasstock(&db, admin, &["webhooks", "list", "--format", "csv"], None).csv();
        assert_eq!(header, ["id", "url", "events", "secret", "created_at", "allow_private_host"]);
        assert_eq!(col(&header, &rows[0], "url"), url);
        assert_eq!(col(&header, &rows[0], "allow_private_host"), "true");

        // The worker delivers; the deliveries are listed per webhook.
        let item = stock(&core, &c.seller, 10, 1_000).await;
        let placed = order(&core, &c.buyer, item.id, 1).await;
        core.decide_order(&c.admin, placed.id, &approve()).await.unwrap();
        let worker = WebhookWorker::new(
            core.clone(),
            WorkerConfig { retry_base: Duration::from_millis(10), ..WorkerConfig::default() },
        )
        .unwrap();
        for _ in 0..100 {
            worker.run_once().await.unwrap();
            if received.lock().unwrap().len() >= 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mine: Vec<(String, String)> =
            received.lock().unwrap().iter().filter(|(_, body)| body.contains("order.approved")).cloned().collect();
        let now = chrono::Utc::now().timestamp();
        assert!(
            mine.iter().any(|(signature, body)| verify(&secret, signature, body.as_bytes(), now, 300)),
            "the first webhook's delivery verifies with the secret `add` printed"
        );
        let deliveries =
            gasstock(&db, admin, &["webhooks", "deliveries", "--webhook", &id.to_string(), "--format", "json"], None)
                .json();
        let deliveries = deliveries.as_array().unwrap();
        assert_eq!(deliveries.len(), 1, "only order.approved for the first webhook: {deliveries:?}");
        assert_eq!(
            (deliveries[0]["event"].as_str(), deliveries[0]["status"].as_str(), deliveries[0]["attempts"].as_i64()),
            (Some("order.approved"), Some("delivered"), Some(1))
        );
        let all = gasstock(&db, admin, &["webhooks", "deliveries", "--format", "json"], None).json();
        assert_eq!(all.as_array().unwrap().len(), 3, "1 + 2 for the * webhook (created and approved)");
        let (header, rows) = gasstock(&db, admin, &["webhooks", "deliveries", "--format", "csv"], None).csv();
        assert!(header.contains(&"last_error".to_owned()) && rows.len() == 3);
        let attempts = gasstock(
            &db,
            admin,
            &["webhooks", "deliveries", "--attempts", "--webhook", &id.to_string(), "--format", "json"],
            None,
        )
        .json();
        let attempts = attempts.as_array().unwrap();
        assert_eq!(attempts.len(), 1, "{attempts:?}");
        assert_eq!(
            (attempts[0]["attempt"].as_i64(), attempts[0]["status_code"].as_i64(), attempts[0]["error"].is_null()),
            (Some(1), Some(200), true)
        );
        let (header, rows) =
            gasstock(&db, admin, &["webhooks", "deliveries", "--attempts", "--format", "csv"], None).csv();
        assert_eq!(rows.len(), 3);
        assert_eq!(col(&header, &rows[0], "status_code"), "200");
        let limited =
            gasstock(&db, admin, &["webhooks", "deliveries", "--limit", "1", "--format", "json"], None).json();
        assert_eq!(limited.as_array().unwrap().len(), 1);
        assert_eq!(limited[0]["id"], all[0]["id"], "the newest: {all}");

        // The opt-in can be turned off and on for an existing webhook.
        let revoked = gasstock(
            &db,
            admin,
            &["webhooks", "allow-private-host", &id.to_string(), "--revoke", "--format", "json"],
            None,
        )
        .json();
        assert_eq!((revoked["id"].as_i64(), revoked["allow_private_host"].as_bool()), (Some(id), Some(false)));
        assert!(!revoked.to_string().contains(&secret[10..]), "the secret stays masked");
        let allowed =
            gasstock(&db, admin, &["webhooks", "allow-private-host", &id.to_string(), "--format", "json"], None).json();
        assert_eq!(allowed["allow_private_host"], true);
        gasstock(&db, admin, &["webhooks", "allow-private-host", "424242"], None).expect_code(1);

        // Removing is destructive: --yes, or a confirmation (refused without a terminal).
        let refused = gasstock(&db, admin, &["webhooks", "remove", &id.to_string()], None);
        refused.expect_code(2);
        assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
        assert_eq!(core.webhooks(&c.admin).await.unwrap().len(), 2, "still there");
        gasstock(&db, admin, &["webhooks", "remove", &id.to_string(), "--yes"], None).expect_code(0);
        assert_eq!(core.webhooks(&c.admin).await.unwrap().len(), 1);
        gasstock(&db, admin, &["webhooks", "remove", &id.to_string(), "--yes"], None).expect_code(1);
        gasstock(&db, admin, &["webhooks", "remove", "424242"], None).expect_code(1);
    })
    .await;
}

#[tokio::test]
async fn credentials_stored_by_earlier_versions_are_masked_everywhere_a_url_is_shown() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        cast(&core).await;
        // Earlier versions accepted `user:password@` in a webhook URL.
        let hook = core.store().create_webhook("https://ops:hunter2@hooks.example.rw/in", "*", "whsec_x", false);
        let id = hook.await.unwrap().id.to_string();
        for format in ["json", "csv", "table"] {
            let listed = gasstock(&db, Some(ADMIN), &["webhooks", "list", "--show-secrets", "--format", format], None);
            listed.expect_code(0);
            assert!(listed.stdout.contains("https://***@hooks.example.rw/in"), "{format}: {}", listed.stdout);
            assert!(
                !listed.stdout.contains("hunter2") && !listed.stdout.contains("ops:"),
                "{format}: {}",
                listed.stdout
            );
        }
        let opt_in = gasstock(&db, Some(ADMIN), &["webhooks", "allow-private-host", &id], None);
        opt_in.expect_code(2);
        assert!(opt_in.stderr.contains("credentials") && !opt_in.stderr.contains("hunter2"), "{}", opt_in.stderr);
        let remove = gasstock(&db, Some(ADMIN), &["webhooks", "remove", &id], None);
        remove.expect_code(2);
        assert!(!remove.stderr.contains("hunter2"), "{}", remove.stderr);
    })
    .await;
}

#[tokio::test]
async fn orders_history_lists_the_status_changes() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let item = stock(&core, &c.seller, 10, 1_000).await;
        let placed = order(&core, &c.buyer, item.id, 2).await;
        core.decide_order(&c.admin, placed.id, &approve()).await.unwrap();
        let bill = core.submit_invoice(&c.seller, &invoice(placed.id, None)).await.unwrap();
        core.decide_invoice(&c.admin, bill.id, &reject("fee missing")).await.unwrap();
        let id = placed.id.to_string();

        let history = gasstock(&db, Some(ADMIN), &["orders", "history", &id, "--format", "json"], None).json();
        let steps: Vec<(String, Option<String>, String)> = history
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["entity"].as_str().unwrap().to_owned(),
                    e["from_status"].as_str().map(str::to_owned),
                    e["to_status"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let step =
            |entity: &str, from: Option<&str>, to: &str| (entity.to_owned(), from.map(str::to_owned), to.to_owned());
        assert_eq!(
            steps,
            [
                step("order", None, "pending"),
                step("order", Some("pending"), "approved"),
                step("order", Some("approved"), "invoiced"),
                step("invoice", None, "pending"),
                step("invoice", Some("pending"), "rejected"),
                step("order", Some("invoiced"), "approved"),
            ],
            "{history}"
        );
        let rejected = &history.as_array().unwrap()[4];
        assert_eq!(
            (rejected["reason"].as_str(), rejected["actor_id"].as_i64()),
            (Some("fee missing"), Some(c.admin.user_id))
        );

        let (header, rows) = gasstock(&db, Some(ADMIN), &["orders", "history", &id, "--format", "csv"], None).csv();
        assert_eq!(header, ["at", "entity", "entity_id", "from", "to", "actor_id", "reason"]);
        assert_eq!(rows.len(), 6);
        assert_eq!(col(&header, &rows[4], "reason"), "fee missing");
        let table = gasstock(&db, Some(ADMIN), &["orders", "history", &id], None);
        table.expect_code(0);
        assert!(table.stdout.contains("fee missing"), "{}", table.stdout);

        gasstock(&db, Some(ADMIN), &["orders", "history", "999999"], None).expect_code(1);
        gasstock(&db, None, &["orders", "history", &id], None).expect_code(2);
        gasstock(&db, Some(ADMIN), &["orders", "history", "abc"], None).expect_code(2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_made_with_the_cli_reaches_the_stream_and_the_webhooks() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        cast(&core).await;
        let mut config =
            gasstock_server::Config::new(db.url.clone(), b"cli test secret: 32 bytes or more....".to_vec());
        config.bind = "127.0.0.1:0".parse().unwrap();
        config.stream_poll_interval = Duration::from_millis(20);
        config.stream_heartbeat = Duration::from_millis(300);
        config.webhook_worker =
            Some(WorkerConfig { poll_interval: Duration::from_millis(20), ..WorkerConfig::default() });
        let server = gasstock_server::start(config).await.expect("server starts");
        let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        let api = |path: &str| format!("{}{path}", server.url());

        // A seller and a buyer sign up over HTTP; the buyer orders.
        let mut tokens = Vec::new();
        for (email, role) in [("s@gas.rw", "seller"), ("b@gas.rw", "buyer")] {
            let reply = client
                .post(api("/api/v1/register"))
                .json(&json!({"email": email, "password": PASSWORD, "name": role, "role": role}))
                .send()
                .await
                .unwrap();
            assert_eq!(reply.status(), 201);
            let reply =
                client.post(api("/api/v1/login")).json(&json!({"email": email, "password": PASSWORD})).send().await;
            let body: Value = reply.unwrap().json().await.unwrap();
            tokens.push(body["token"].as_str().unwrap().to_owned());
        }
        let (seller, buyer) = (tokens[0].clone(), tokens[1].clone());
        let item = post(
            &client,
            &api("/api/v1/seller/inventory"),
            &seller,
            json!({"brand": "Jibu", "weight": "12kg", "location": "Kigali", "quantity": 5, "unit_price": 900}),
        )
        .await;
        let placed =
            post(&client, &api("/api/v1/orders"), &buyer, json!({"inventory_id": item["id"], "quantity": 1})).await;
        let order_id = placed["id"].as_i64().expect("order placed");

        let (hook_url, received) = receiver().await;
        let added = cli(
            &db,
            Some(ADMIN),
            &["webhooks", "add", &hook_url, "--events", "order.approved", "--allow-private-host", "--format", "json"],
        )
        .json();
        let secret = added["secret"].as_str().unwrap().to_owned();
        let stream_url = api("/api/v1/notifications/stream");
        let mut buyer_stream = SseStream::connect(&client, &stream_url, &buyer, None).await;
        let mut seller_stream = SseStream::connect(&client, &stream_url, &seller, None).await;

        // The admin approves with the CLI: another process, straight on the database.
        cli(&db, Some(ADMIN), &["orders", "approve", &order_id.to_string()]).expect_code(0);
        for (who, stream) in [("buyer", &mut buyer_stream), ("seller", &mut seller_stream)] {
            let event = stream.event(WAIT, &format!("the CLI's approval on the {who}'s stream")).await;
            let data = event.json();
            assert_eq!(event.event.as_deref(), Some("order.approved"), "{who}");
            assert_eq!((data["order_id"].as_i64(), data["id"].as_i64()), (Some(order_id), Some(event.id())), "{who}");
        }
        // ... and the server's worker delivers it to the webhook the CLI added, signed.
        let deadline = tokio::time::Instant::now() + WAIT;
        while received.lock().unwrap().is_empty() {
            assert!(tokio::time::Instant::now() < deadline, "no webhook delivery within {WAIT:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let (signature, body) = received.lock().unwrap()[0].clone();
        assert!(verify(&secret, &signature, body.as_bytes(), chrono::Utc::now().timestamp(), 300));
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            (body["type"].as_str(), body["data"]["order_id"].as_i64()),
            (Some("order.approved"), Some(order_id))
        );
        server.shutdown().await;
    })
    .await;
}
