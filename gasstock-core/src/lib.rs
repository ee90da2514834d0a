//! gasstock-core: the domain, rules and workflows of gasstock, an LPG cylinder distribution
//! backend, over two real stores (SQLite, PostgreSQL).
//!
//! ```no_run
//! # async fn demo() -> gasstock_core::Result<()> {
//! use gasstock_core::{Gasstock, Store};
//! let core = Gasstock::new(Store::open("sqlite://gasstock.db").await?);
//! core.ready().await?;
//! # Ok(()) }
//! ```
//!
//! Layers, each depending only on those below it (no module import cycle):
//! - `service` (the [`Gasstock`] workflows) and the feature modules `notifications`,
//!   `webhooks`, `reports`, `import`, `seed`: validate, authorize, then one store operation;
//! - `store`: the SQL, one file per area, over both backends;
//! - `events` (what a status change means: notices, webhook payloads) and `dataset` (seed
//!   data): pure functions the store calls;
//! - `commands` (validated requests), `policy` (role rules), `models` (rows), `domain`
//!   (validated values and the status state machine), `error`.

pub mod commands;
pub mod cylinders;
pub mod dataset;
mod delivery;
pub mod domain;
mod error;
pub mod events;
pub mod import;
pub mod metrics;
pub mod models;
pub mod notifications;
pub mod payments;
pub mod policy;
pub mod reports;
pub mod seed;
mod sellers;
mod service;
pub mod store;
pub mod throttle;
pub mod webhooks;
mod zones;

pub use error::{Error, Result};
pub use policy::Actor;
pub use service::Gasstock;
pub use store::{Store, StoreConfig, DEFAULT_DATABASE_URL};
