//! Issue 16: an approval made with the CLI (another process, straight on the database)
//! reaches the buyer's open notification stream. On PostgreSQL the CLI's commit wakes the
//! server's watcher through LISTEN/NOTIFY: the server's poll interval is set to an hour, so
//! nothing else could bring it. On SQLite another process wakes nobody: the interval finds it.

use std::time::Duration;

use gasstock_tests::fixtures::{cast, stock};
use gasstock_tests::{for_each_backend, Backend};
use serde_json::{json, Value};

use crate::harness::{gasstock, ADMIN};
use crate::sse_client::SseStream;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_by_the_cli_process_wakes_the_servers_stream() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let item = stock(&core, &c.seller, 10, 900).await;
        let mut config =
            gasstock_server::Config::new(db.url.clone(), b"cli test secret: 32 bytes or more....".to_vec());
        config.bind = "127.0.0.1:0".parse().unwrap();
        config.webhook_worker = None;
        config.stream_heartbeat = Duration::from_millis(300);
        config.stream_poll_interval = match db.backend {
            Backend::Postgres => Duration::from_secs(3600),
            Backend::Sqlite => Duration::from_millis(50),
        };
        let server = gasstock_server::start(config).await.expect("server starts");
        let client = reqwest::Client::new();
        let api = |path: &str| format!("{}/api/v1{path}", server.url());
        let password = "correct horse battery";
        let body = json!({"email": "b@gas.rw", "password": password, "name": "B", "role": "buyer"});
        assert_eq!(client.post(api("/register")).json(&body).send().await.unwrap().status(), 201);
        let login: Value = client
            .post(api("/login"))
            .json(&json!({"email": "b@gas.rw", "password": password}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let buyer = login["token"].as_str().unwrap().to_owned();
        let placed: Value = client
            .post(api("/orders"))
            .bearer_auth(&buyer)
            .json(&json!({"inventory_id": item.id, "quantity": 1}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let order_id = placed["id"].as_i64().expect("order placed");
        let mut stream = SseStream::connect(&client, &api("/notifications/stream"), &buyer, None).await;
        assert!(stream.until_keepalive(WAIT, "open").await.is_empty());

        gasstock(&db, Some(ADMIN), &["orders", "approve", &order_id.to_string()], None).expect_code(0);
        let event = stream.event(WAIT, "the CLI's approval").await;
        assert_eq!(event.event.as_deref(), Some("order.approved"));
        assert_eq!(event.json()["order_id"].as_i64(), Some(order_id));
        server.shutdown().await;
    })
    .await;
}
