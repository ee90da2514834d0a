//! gasstock-server: the REST API of `API.md` over warp, a thin layer over `gasstock-core`.
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

pub mod auth;
pub mod config;
pub mod error;
pub mod filters;
pub mod handlers;
pub mod openapi;
pub mod state;
pub mod throttle;

use std::net::SocketAddr;

use gasstock_core::{AnyStore, Gasstock};
use tokio::sync::oneshot;
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
}

/// A server accepting connections on `addr` until [`RunningServer::shutdown`] (or drop).
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    core: Gasstock,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningServer {
    /// The address actually bound (the real port when the config asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The core this server runs on.
    pub fn core(&self) -> &Gasstock {
        &self.core
    }

    /// Stops accepting connections, lets in-flight requests finish, then returns.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Opens the database named by `config.database_url` (running its migrations), binds
/// `config.bind` and serves the API in a background task.
pub async fn start(config: Config) -> Result<RunningServer, StartError> {
    let core = Gasstock::new(AnyStore::open(&config.database_url).await?);
    start_with_core(config, core).await
}

/// Like [`start`], over a core the caller already opened (`config.database_url` unused).
pub async fn start_with_core(config: Config, core: Gasstock) -> Result<RunningServer, StartError> {
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|source| StartError::Bind { addr: config.bind, source })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind { addr: config.bind, source })?;
    let state = state::AppState::new(&config, core.clone());
    let routes = filters::routes(&state);
    let (tx, rx) = oneshot::channel::<()>();
    let server = warp::serve(routes).incoming(listener).graceful(async move {
        let _ = rx.await;
    });
    let task = tokio::spawn(server.run());
    Ok(RunningServer { addr, core, shutdown: Some(tx), task: Some(task) })
}
