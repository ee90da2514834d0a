//! Prometheus metrics (`--metrics-bind`): `GET /metrics` on an address of its own, never on
//! the public one. Counters and histograms are recorded as things happen (requests here and
//! in `routes`, status changes, webhook attempts and throttle hits in the core's `metrics`);
//! gauges (database connections, webhook deliveries by status, process memory and file
//! descriptors) are sampled at each scrape. Every series is listed in the README
//! ("Operating gasstock").
//!
//! The recorder is process-wide (the `metrics` facade has one): installed by the first
//! server that serves metrics; with none installed, recording costs a load and a branch.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use gasstock_core::domain::WebhookDeliveryStatus;
use gasstock_core::Gasstock;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use warp::http::{Method, StatusCode};
use warp::{Filter, Reply};

pub const REQUESTS: &str = "gasstock_http_requests_total";
pub const REQUEST_SECONDS: &str = "gasstock_http_request_duration_seconds";
pub const DB_CONNECTIONS: &str = "gasstock_db_connections";
pub const DB_IN_USE: &str = "gasstock_db_connections_in_use";
pub const DB_WAITING: &str = "gasstock_db_waiting";
pub const WEBHOOK_DELIVERIES: &str = "gasstock_webhook_deliveries";
pub const RSS: &str = "process_resident_memory_bytes";
pub const OPEN_FDS: &str = "process_open_fds";

/// Latency buckets, in seconds: a fast read to a stuck request.
const BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Whether this process records metrics (a server of it serves them): the request metrics
/// are skipped otherwise.
pub fn enabled() -> bool {
    HANDLE.get().is_some_and(Option::is_some)
}

/// The process's recorder, installed once; `None` when another recorder was installed first.
fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(REQUEST_SECONDS.to_owned()), BUCKETS)
                .expect("the buckets are not empty");
            match builder.install_recorder() {
                Ok(handle) => {
                    describe();
                    Some(handle)
                }
                Err(err) => {
                    tracing::warn!(%err, "cannot install the metrics recorder: /metrics stays empty");
                    None
                }
            }
        })
        .as_ref()
}

fn describe() {
    use gasstock_core::metrics as core;
    metrics::describe_counter!(REQUESTS, "Requests answered, by method, route template and status.");
    metrics::describe_histogram!(REQUEST_SECONDS, "Time to answer a request (to its response head), in seconds.");
    metrics::describe_gauge!(DB_CONNECTIONS, "Database connections open.");
    metrics::describe_gauge!(DB_IN_USE, "Database connections running a unit of work.");
    metrics::describe_gauge!(DB_WAITING, "Units of work waiting for a database connection.");
    metrics::describe_gauge!(WEBHOOK_DELIVERIES, "Webhook deliveries in the database, by status.");
    metrics::describe_gauge!(RSS, "Resident memory of the process, in bytes.");
    metrics::describe_gauge!(OPEN_FDS, "File descriptors the process has open.");
    metrics::describe_counter!(core::STATUS_CHANGES, "Status changes recorded, by entity, from and to.");
    metrics::describe_counter!(core::WEBHOOK_ATTEMPTS, "Webhook attempts of this process's worker, by outcome.");
    metrics::describe_counter!(core::THROTTLE_HITS, "Sign-in and sign-up attempts throttled (429), by rule.");
}

/// One answered request; `route` is its endpoint's template (`unmatched` for none).
pub fn request(method: &Method, route: &str, status: u16, elapsed: Duration) {
    let (method, route) = (method.as_str().to_owned(), route.to_owned());
    metrics::histogram!(REQUEST_SECONDS, "method" => method.clone(), "route" => route.clone()).record(elapsed);
    metrics::counter!(REQUESTS, "method" => method, "route" => route, "status" => status.to_string()).increment(1);
}

/// Samples the gauges and renders every series in the Prometheus text format.
async fn scrape(core: &Gasstock) -> String {
    let Some(handle) = handle() else { return String::new() };
    let pool = core.store().pool_stats();
    metrics::gauge!(DB_CONNECTIONS).set(pool.connections as f64);
    metrics::gauge!(DB_IN_USE).set(pool.in_use as f64);
    metrics::gauge!(DB_WAITING).set(pool.waiting as f64);
    for status in WebhookDeliveryStatus::ALL {
        match core.store().count_webhook_deliveries(*status).await {
            Ok(count) => metrics::gauge!(WEBHOOK_DELIVERIES, "status" => status.as_str()).set(count as f64),
            Err(err) => tracing::warn!(%err, "metrics: cannot count webhook deliveries"),
        }
    }
    if let Some(rss) = resident_bytes() {
        metrics::gauge!(RSS).set(rss as f64);
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        metrics::gauge!(OPEN_FDS).set(fds.count() as f64);
    }
    handle.run_upkeep();
    handle.render()
}

/// `VmRSS` of `/proc/self/status` (Linux), in bytes.
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kb: u64 = line.trim_start_matches("VmRSS:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb * 1024)
}

/// Binds the metrics address (installing the recorder), before the API starts.
pub async fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let _ = handle();
    tokio::net::TcpListener::bind(addr).await
}

/// Serves `GET /metrics` on `listener` until `shutdown`; anything else is a 404.
pub async fn serve(
    listener: tokio::net::TcpListener,
    core: Gasstock,
    limits: crate::serve::Limits,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let metrics = warp::path!("metrics").and(warp::get()).then(move || {
        let core = core.clone();
        async move {
            let text = scrape(&core).await;
            warp::reply::with_header(text, "content-type", "text/plain; version=0.0.4; charset=utf-8").into_response()
        }
    });
    let others = warp::any().map(|| {
        crate::error::ApiError::new(StatusCode::NOT_FOUND, "not_found", "only GET /metrics is served here")
            .into_response()
    });
    let routes = metrics.or(others).unify();
    crate::serve::serve(listener, routes, limits, shutdown).await;
}
