//! `--metrics-bind`: the Prometheus endpoint on its own address moves with what the server
//! does (requests by route template, status changes, throttle hits, webhook attempts), shows
//! the sampled gauges, and is never served on the public port.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gasstock_core::commands::PageRequest;
use gasstock_core::webhooks::WorkerConfig;
use gasstock_tests::Backend;
use serde_json::json;
use warp::Filter;

use crate::support::App;

/// The value of the series `name` whose labels include `labels` (0 when absent: a counter
/// not yet incremented is not rendered).
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (series_name, series_labels) = match series.split_once('{') {
                Some((series_name, rest)) => (series_name, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let all = labels.iter().all(|(key, value)| series_labels.contains(&format!("{key}=\"{value}\"")));
            (series_name == name && all).then(|| value.parse::<f64>().ok()).flatten()
        })
        .sum()
}

async fn scrape(client: &reqwest::Client, addr: SocketAddr) -> String {
    let response = client.get(format!("http://{addr}/metrics")).send().await.expect("scrape");
    assert_eq!(response.status(), 200);
    let kind = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("text/plain"), "{kind}");
    response.text().await.unwrap()
}

/// A webhook receiver that fails its first attempt, then accepts.
async fn receiver() -> (String, Arc<AtomicUsize>) {
    let posts = Arc::new(AtomicUsize::new(0));
    let count = posts.clone();
    let route = warp::post().map(move || match count.fetch_add(1, Ordering::SeqCst) {
        0 => warp::http::StatusCode::SERVICE_UNAVAILABLE,
        _ => warp::http::StatusCode::NO_CONTENT,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(warp::serve(route).incoming(listener).run());
    (url, posts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_endpoint_counts_what_the_server_does() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start_with(backend, |config| {
            config.ops.metrics_bind = "127.0.0.1:0".parse().unwrap();
            config.login_attempts_per_email = 1;
            config.webhook_worker = Some(WorkerConfig {
                poll_interval: Duration::from_millis(20),
                retry_base: Duration::from_millis(20),
                retry_cap: Duration::from_millis(50),
                ..WorkerConfig::default()
            });
        })
        .await;
        let metrics = app.server.metrics_addr().expect("metrics served");
        assert_ne!(metrics, app.server.addr());
        let before = scrape(&app.client, metrics).await;

        let market = app.market().await;
        let admin = app.server.core().admin_actor("admin@gas.rw").await.unwrap();
        let (hook_url, posts) = receiver().await;
        app.server.core().add_webhook(&admin, &hook_url, &["order.approved".to_owned()], true).await.unwrap();
        let order = app.order(&market.buyer, market.item, 1).await["id"].as_i64().unwrap();
        app.decide_order(&market.admin, order, true).await;
        app.get(&format!("/api/v1/orders/{order}"), &market.buyer).await.expect(200, "order");
        let mut throttled = 0;
        for guess in ["guess 1", "guess 2", "guess 3"] {
            let reply =
                app.call("POST", "/api/v1/login", None, Some(json!({"email": "buyer@gas.rw", "password": guess})));
            throttled += usize::from(reply.await.status == 429);
        }
        assert!(throttled >= 1, "one free failure, then waits");
        // The delivery fails once, then is delivered.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let page = PageRequest::new(None, Some(10)).unwrap();
            let deliveries = app.server.core().webhook_deliveries(&admin, None, page).await.unwrap().items;
            if deliveries.iter().any(|d| d.status.as_str() == "delivered") {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "not delivered: {deliveries:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(posts.load(Ordering::SeqCst) >= 2);

        let after = scrape(&app.client, metrics).await;
        let moved = |name: &str, labels: &[(&str, &str)]| sample(&after, name, labels) - sample(&before, name, labels);
        let order_route = [("method", "GET"), ("route", "/api/v1/orders/{id}"), ("status", "200")];
        assert!(moved("gasstock_http_requests_total", &order_route) >= 1.0, "{after}");
        let timed = [("method", "GET"), ("route", "/api/v1/orders/{id}")];
        assert!(moved("gasstock_http_request_duration_seconds_count", &timed) >= 1.0, "{after}");
        assert!(sample(&after, "gasstock_http_request_duration_seconds_bucket", &[("le", "+Inf")]) >= 1.0);
        assert!(!after.contains(&format!("/api/v1/orders/{order}\"")), "raw paths are no label: {after}");
        let approved = [("entity", "order"), ("from", "pending"), ("to", "approved")];
        assert!(moved("gasstock_status_transitions_total", &approved) >= 1.0, "{after}");
        let login = [("rule", "login")];
        assert!(moved("gasstock_throttle_hits_total", &login) >= throttled as f64, "{after}");
        assert!(moved("gasstock_webhook_attempts_total", &[("outcome", "failed")]) >= 1.0, "{after}");
        assert!(moved("gasstock_webhook_attempts_total", &[("outcome", "sent")]) >= 1.0, "{after}");
        assert!(sample(&after, "gasstock_webhook_deliveries", &[("status", "delivered")]) >= 1.0, "{after}");
        for gauge in ["gasstock_webhook_deliveries", "gasstock_db_connections_in_use", "gasstock_db_waiting"] {
            assert!(after.contains(&format!("\n{gauge}")), "{gauge} is rendered: {after}");
        }
        assert!(sample(&after, "gasstock_db_connections", &[]) >= 1.0, "{after}");
        assert!(sample(&after, "process_resident_memory_bytes", &[]) > 1e6, "{after}");
        assert!(sample(&after, "process_open_fds", &[]) >= 3.0, "{after}");
        assert!(after.contains("# HELP gasstock_http_requests_total"), "described: {after}");

        // Never on the public port; nothing else on the metrics port.
        let public = app.call("GET", "/metrics", None, None).await;
        public.expect_error(404, "route_not_found", "no /metrics on the API port");
        let other = app.client.get(format!("http://{metrics}/api/v1/orders")).send().await.unwrap();
        assert_eq!(other.status(), 404);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_off_unless_asked_for() {
    let app = App::start(Backend::Sqlite).await;
    assert!(app.server.metrics_addr().is_none());
    app.call("GET", "/metrics", None, None).await.expect_error(404, "route_not_found", "off");
}
