//! gasstock-server: the REST API of `docs/api.md` over warp, a thin layer over `gasstock-core`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), gasstock_server::StartError> {
//! let mut config = gasstock_server::Config::new("sqlite://gasstock.db", b"a secret of at least 32 bytes....".to_vec());
//! config.bind = "127.0.0.1:0".parse().unwrap();
//! let server = gasstock_server::start(config).await?;
//! println!("listening on {}", server.url());
//! server.shutdown().await;
//! # Ok(()) }
//! ```

pub mod api;
pub mod auth;
pub mod client_ip;
pub mod config;
pub mod connection;
pub mod cors;
pub mod database_url;
pub mod duration;
pub mod endpoint;
pub mod error;
pub mod extract;
pub mod legacy_settings;
pub mod logging;
pub mod metrics;
pub mod openapi;
pub mod operations;
pub mod probe;
pub mod reply;
pub mod routes;
pub mod secret;
pub mod serve;
pub mod state;
pub mod throttle;
mod webhook_settings;

use std::net::SocketAddr;
use std::sync::Arc;

use gasstock_core::notifications::NotificationWatcher;
use gasstock_core::payments::{
    run_payments, Collector, CollectorConfig, Expirer, ExpiryConfig, MomoProvider, Payer, PayoutConfig,
};
use gasstock_core::webhooks::WebhookWorker;
use gasstock_core::{Gasstock, Store};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::Config;
pub use openapi::ApiDoc;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database: {0}")]
    Database(#[from] gasstock_core::Error),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("cannot start the webhook worker: {0}")]
    Webhooks(gasstock_core::Error),
    #[error("cannot start the notification watcher: {0}")]
    Notifications(gasstock_core::Error),
    #[error("cannot start mobile-money payments: {0}")]
    Payments(String),
    #[error("no JWT secret: set Config::jwt_secret (the binary takes --jwt-secret or --jwt-secret-file)")]
    NoSecret,
}

/// A server accepting connections on `addr` until [`RunningServer::shutdown`] (or drop),
/// with its webhook worker (unless the config turned it off).
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
    core: Gasstock,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    metrics_task: Option<JoinHandle<()>>,
    worker: Option<JoinHandle<()>>,
}

impl RunningServer {
    /// The address actually bound (the real port when the config asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address of `GET /metrics`, when `--metrics-bind` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The core this server runs on.
    pub fn core(&self) -> &Gasstock {
        &self.core
    }

    /// Whether a webhook worker runs in this server.
    pub fn runs_webhook_worker(&self) -> bool {
        self.worker.is_some()
    }

    /// Stops accepting connections, lets in-flight requests finish (notification streams
    /// end), lets the webhook worker finish the deliveries it is making, then returns.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(task) = self.metrics_task.take() {
            let _ = task.await;
        }
        if let Some(worker) = self.worker.take() {
            let _ = worker.await;
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Opens the database named by `config.database_url` with the pools of `config.store`
/// (running its migrations), binds `config.bind` and serves the API in a background task.
pub async fn start(config: Config) -> Result<RunningServer, StartError> {
    secret(&config)?;
    let store = Store::open_with(config.database_url.as_str(), &config.store.store_config()).await?;
    start_with_core(config, Gasstock::new(store)).await
}

fn secret(config: &Config) -> Result<&secret::Secret, StartError> {
    config.jwt_secret.as_ref().ok_or(StartError::NoSecret)
}

/// Like [`start`], over a core the caller already opened (`config.database_url` unused).
pub async fn start_with_core(config: Config, core: Gasstock) -> Result<RunningServer, StartError> {
    let secret = secret(&config)?;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|source| StartError::Bind { addr: config.bind, source })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind { addr: config.bind, source })?;
    let metrics_listener = match config.ops.metrics_bind.0 {
        Some(addr) => Some(metrics::bind(addr).await.map_err(|source| StartError::Bind { addr, source })?),
        None => None,
    };
    let metrics_addr = match &metrics_listener {
        Some(listener) => Some(listener.local_addr().map_err(|source| StartError::Bind { addr: config.bind, source })?),
        None => None,
    };
    let (tx, rx) = watch::channel(false);
    let worker = match &config.webhook_worker {
        Some(worker_config) => {
            let worker = WebhookWorker::new(core.clone(), worker_config.clone()).map_err(StartError::Webhooks)?;
            // Its own task: a slow or dead receiver holds up the worker, never a request.
            Some(tokio::spawn(worker.run(stopped(rx.clone()))))
        }
        None => None,
    };
    // One watcher feeds every notification stream of this instance.
    let interval = config.stream_poll_interval.max(std::time::Duration::from_millis(10));
    let (hub, watcher) = NotificationWatcher::start(core.store(), config.stream_limits(), interval)
        .await
        .map_err(StartError::Notifications)?;
    tokio::spawn(watcher.run(stopped(rx.clone())));
    let collector = match &config.momo {
        Some(momo) => {
            let provider = MomoProvider::new(momo.clone()).map_err(|err| StartError::Payments(err.to_string()))?;
            let settings =
                CollectorConfig { poll_interval: config.payment_poll_interval, ..CollectorConfig::default() };
            let provider: Arc<MomoProvider> = Arc::new(provider);
            let collector = Collector::new(core.store().clone(), provider.clone(), settings);
            let payouts = PayoutConfig { commission_bps: config.commission_bps, ..PayoutConfig::default() };
            let payer = Payer::new(core.store().clone(), provider, payouts);
            let interval = config.payment_poll_interval;
            let task = run_payments(collector.clone(), payer, interval, core.payments_wake(), stopped(rx.clone()));
            tokio::spawn(task);
            Some(collector)
        }
        None => None,
    };
    let expiry =
        ExpiryConfig { pending_ttl: config.pending_ttl, payment_ttl: config.payment_ttl, ..ExpiryConfig::default() };
    tokio::spawn(Expirer::new(core.store().clone(), expiry).run(stopped(rx.clone())));
    let state = state::AppState::new(&config, secret, core.clone(), hub, rx.clone(), openapi::spec_json(), collector);
    let routes = routes::routes(&state);
    let metrics_task = metrics_listener.map(|listener| {
        tokio::spawn(metrics::serve(listener, core.clone(), config.serve_limits(), stopped(rx.clone())))
    });
    let task = tokio::spawn(serve::serve(listener, routes, config.serve_limits(), stopped(rx)));
    Ok(RunningServer { addr, metrics_addr, core, shutdown: tx, task: Some(task), metrics_task, worker })
}

/// Resolves once the shutdown flag is set (or its sender is gone).
pub(crate) async fn stopped(mut shutdown: watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}
