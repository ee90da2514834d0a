//! One log line per request, with what operators need and nothing secret.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use gasstock_tests::Backend;
use serde_json::json;

use crate::support::{App, PASSWORD};

/// Everything logged by this test binary (the subscriber is process-wide).
fn captured() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        tracing_subscriber::fmt()
            .with_env_filter("info")
            .with_ansi(false)
            .with_writer(move || Sink(sink.clone()))
            .try_init()
            .expect("no other global subscriber");
        logs
    })
    .clone()
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_request_is_logged_once_without_secrets() {
    let logs = captured();
    let app = App::start(Backend::Sqlite).await;
    let (_, token) = app.user("logged@gas.rw", "buyer").await;
    let request =
        app.client.get(app.url("/api/v1/orders?page=1")).bearer_auth(&token).header("X-Request-Id", "log-test-42");
    app.send(request).await.expect(200, "orders");
    let request = app
        .client
        .post(app.url("/api/v1/login"))
        .header("X-Request-Id", "log-test-43")
        .json(&json!({"email": "logged@gas.rw", "password": "a wrong password"}));
    app.send(request).await.expect(401, "wrong login");

    let text = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    let lines: Vec<&str> = text.lines().filter(|line| line.contains("log-test-42")).collect();
    assert_eq!(lines.len(), 1, "one line per request: {lines:?}");
    for part in ["GET", "/api/v1/orders", "status=200", "latency_ms="] {
        assert!(lines[0].contains(part), "{part} in {}", lines[0]);
    }
    let failed: Vec<&str> = text.lines().filter(|line| line.contains("log-test-43")).collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].contains("status=401") && failed[0].contains("POST"));
    for secret in [token.as_str(), PASSWORD, "a wrong password"] {
        assert!(!text.contains(secret), "the log shows a secret: {secret}");
    }
}
