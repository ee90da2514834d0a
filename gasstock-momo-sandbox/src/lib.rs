//! A MoMo sandbox: an HTTP server that speaks the shape of MTN MoMo's Open API (the parts
//! gasstock uses), so the adapter in gasstock-core is tested over real HTTP and a demo runs
//! without an MTN account.
//!
//! - `POST /{collection|disbursement}/token/`: HTTP Basic with the API user and key, plus
//!   `Ocp-Apim-Subscription-Key`; answers `{access_token, token_type, expires_in}`.
//! - `POST /collection/v1_0/requesttopay`, `POST /disbursement/v1_0/transfer`: Bearer token,
//!   `X-Reference-Id` (a UUID), `X-Target-Environment`, optional `X-Callback-Url`; `202`,
//!   `409 RESOURCE_ALREADY_EXIST` for a reference already taken.
//! - `GET …/requesttopay/{ref}`, `GET …/transfer/{ref}`: the status body (`PENDING`,
//!   `SUCCESSFUL`, `FAILED` with a `reason`), `404 RESOURCE_NOT_FOUND` for an unknown one.
//!
//! What happens to a request is scripted per party (the payer's or payee's MSISDN) with a
//! [`Behaviour`], or by the default one: success, failure, a delay before the outcome, 500s
//! before the request is taken, a hang after it is taken (the client times out), any number
//! of (duplicate) callbacks. It counts what it received ([`Stats`]). Control endpoints under
//! `/sandbox/` script it from another process.

mod behaviour;
mod handler;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;

pub use behaviour::{Behaviour, CallbackMethod, Outcome};
pub use state::{Stats, TakenRequest};

use state::Shared;

/// Credentials and defaults of one sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxConfig {
    pub collection_key: String,
    pub disbursement_key: String,
    pub api_user: String,
    pub api_key: String,
    pub target_environment: String,
    /// For parties with no script of their own.
    pub default: Behaviour,
    pub callback_method: CallbackMethod,
    pub token_lifetime_secs: u64,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            collection_key: "sandbox-collection-key".into(),
            disbursement_key: "sandbox-disbursement-key".into(),
            api_user: "0f5c4b3e-7d2a-4c1b-9a8e-6f7d5c4b3a21".into(),
            api_key: "sandbox-api-key".into(),
            target_environment: "sandbox".into(),
            default: Behaviour::default(),
            callback_method: CallbackMethod::Post,
            token_lifetime_secs: 3600,
        }
    }
}

/// A running sandbox; it stops when dropped.
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Sandbox {
    /// Listens on 127.0.0.1 at a free port.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        Sandbox::on(listener, config)
    }

    /// Serves on `listener` until dropped.
    pub fn on(listener: tokio::net::TcpListener, config: SandboxConfig) -> std::io::Result<Sandbox> {
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config));
        let task = tokio::spawn(warp::serve(handler::routes(shared.clone())).incoming(listener).run());
        Ok(Sandbox { addr, shared, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:port`: the adapter's base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn config(&self) -> SandboxConfig {
        self.shared.config()
    }

    /// What happens to requests naming `party_id` (the MSISDN digits, e.g. `250788123456`)
    /// from now on; its 500 and hang counters start again.
    pub fn script(&self, party_id: &str, behaviour: Behaviour) {
        self.shared.script(party_id, behaviour);
    }

    /// Every request it took, in order.
    pub fn requests(&self) -> Vec<TakenRequest> {
        self.shared.taken()
    }

    /// What it has received so far.
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// The `GASSTOCK_MOMO_*` settings that point gasstock at this sandbox.
    pub fn env(&self) -> Vec<(String, String)> {
        let config = self.shared.config();
        [
            ("GASSTOCK_MOMO_BASE_URL", self.url()),
            ("GASSTOCK_MOMO_COLLECTION_KEY", config.collection_key),
            ("GASSTOCK_MOMO_DISBURSEMENT_KEY", config.disbursement_key),
            ("GASSTOCK_MOMO_API_USER", config.api_user),
            ("GASSTOCK_MOMO_API_KEY", config.api_key),
            ("GASSTOCK_MOMO_TARGET_ENVIRONMENT", config.target_environment),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}
