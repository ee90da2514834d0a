//! What every request handler shares.

use std::sync::Arc;
use std::time::Duration;

use gasstock_core::notifications::NotificationHub;
use gasstock_core::payments::Collector;
use gasstock_core::throttle::ThrottleRules;
use gasstock_core::Gasstock;
use tokio::sync::watch;

use crate::auth::{AuthCache, TokenKeys};
use crate::client_ip::TrustedProxies;
use crate::config::Config;
use crate::secret::Secret;

#[derive(Debug)]
pub struct AppState {
    pub core: Gasstock,
    pub keys: TokenKeys,
    /// Revocations and users, so that checking a token costs no statement on the hot path.
    pub auth_cache: Arc<AuthCache>,
    /// Sign-in and sign-up throttling (the counters are in the database).
    pub throttle: ThrottleRules,
    /// Whose `X-Forwarded-For` names the client (see `client_ip`).
    pub trusted_proxies: TrustedProxies,
    pub body_limit: usize,
    /// The open notification streams, fed by this instance's watcher.
    pub hub: NotificationHub,
    pub stream_heartbeat: Duration,
    /// Turns `true` when the server shuts down: long-lived responses (notification streams)
    /// end so that the graceful shutdown does not wait for them forever.
    pub shutdown: watch::Receiver<bool>,
    /// Web origins allowed to call the API from a browser (`--cors-origins`).
    pub cors_origins: crate::cors::CorsOrigins,
    /// The OpenAPI document served at `/api/v1/openapi.json`.
    pub openapi_json: &'static str,
    /// Settles mobile-money payments on a callback's hint; `None` when mobile money is off.
    pub collector: Option<Collector>,
}

pub type State = Arc<AppState>;

impl AppState {
    pub fn new(
        config: &Config,
        secret: &Secret,
        core: Gasstock,
        hub: NotificationHub,
        shutdown: watch::Receiver<bool>,
        openapi_json: &'static str,
        collector: Option<Collector>,
    ) -> State {
        Arc::new(AppState {
            core,
            keys: TokenKeys::new(&secret.0, config.token_ttl),
            auth_cache: Arc::default(),
            throttle: config.throttle_rules(),
            trusted_proxies: config.throttling.trusted_proxies.clone(),
            body_limit: config.body_limit,
            hub,
            stream_heartbeat: config.stream_heartbeat.max(Duration::from_millis(10)),
            shutdown,
            cors_origins: config.ops.cors_origins.clone(),
            openapi_json,
            collector,
        })
    }
}
