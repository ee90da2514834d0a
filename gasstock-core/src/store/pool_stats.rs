//! [`Store::pool_stats`] and the webhook delivery counts, for the server's metrics.

use super::usage::{self, PoolStats};
use super::{Backend, Store};
use crate::domain::WebhookDeliveryStatus;
use crate::error::Result;
use crate::store::db::Sql;

impl Store {
    /// The connections right now (see [`PoolStats`]).
    pub fn pool_stats(&self) -> PoolStats {
        match &self.backend {
            Backend::Sqlite { lite } => {
                let connections = lite.connections();
                let waiting = lite.queued();
                let in_use = usage::in_flight().saturating_sub(waiting).min(connections);
                PoolStats { connections, in_use, waiting }
            }
            Backend::Postgres { pool } => {
                let connections = u64::from(pool.size());
                let idle = u64::try_from(pool.num_idle()).unwrap_or(u64::MAX);
                PoolStats { connections, in_use: connections.saturating_sub(idle), waiting: usage::acquiring() }
            }
        }
    }

    /// How many webhook deliveries are in `status` (the whole database: every instance's).
    pub async fn count_webhook_deliveries(&self, status: WebhookDeliveryStatus) -> Result<i64> {
        self.read_scalar(Sql::new("SELECT COUNT(*) FROM webhook_deliveries WHERE status = $1").bind(status.as_str()))
            .await
    }
}
