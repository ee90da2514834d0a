//! The webhook delivery worker's settings (`--webhooks`, `--webhook-*`), flattened into
//! [`crate::config::Config`]; the defaults are the core's `WorkerConfig::default()`.

use std::time::Duration;

use clap::builder::{BoolishValueParser, RangedU64ValueParser};
use clap::{value_parser, ArgAction, Args};
use gasstock_core::webhooks::WorkerConfig;

use crate::duration;
use crate::duration_default;

/// The webhook delivery worker's flags; see `gasstock_core::webhooks::WorkerConfig`, where
/// the defaults live.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Webhook delivery")]
pub(crate) struct WebhookFlags {
    /// Run the webhook delivery worker in this instance (`on`/`off`). Any number of instances
    /// may run one on the same PostgreSQL database: each delivery attempt is claimed once.
    #[arg(long = "webhooks", env = "GASSTOCK_WEBHOOKS", default_value = "on",
          value_parser = BoolishValueParser::new(), action = ArgAction::Set)]
    pub(crate) enabled: bool,

    /// How often the worker looks for due deliveries.
    #[arg(long = "webhook-poll-interval", env = "GASSTOCK_WEBHOOK_POLL_INTERVAL", value_parser = duration::poll_interval, value_name = "DURATION",
          default_value = duration_default!(WorkerConfig::default().poll_interval))]
    pub(crate) poll_interval: Duration,

    /// Timeout of one delivery (at most 30s).
    #[arg(long = "webhook-timeout", env = "GASSTOCK_WEBHOOK_TIMEOUT", value_parser = webhook_timeout, value_name = "DURATION",
          default_value = duration_default!(WorkerConfig::default().request_timeout))]
    pub(crate) request_timeout: Duration,

    /// First wait before a failed delivery is retried; it doubles on each failure.
    #[arg(long = "webhook-retry-base", env = "GASSTOCK_WEBHOOK_RETRY_BASE", value_parser = duration::positive, value_name = "DURATION",
          default_value = duration_default!(WorkerConfig::default().retry_base))]
    pub(crate) retry_base: Duration,

    /// Longest wait between two attempts.
    #[arg(long = "webhook-retry-cap", env = "GASSTOCK_WEBHOOK_RETRY_CAP", value_parser = duration::positive, value_name = "DURATION",
          default_value = duration_default!(WorkerConfig::default().retry_cap))]
    pub(crate) retry_cap: Duration,

    /// How long after its event a failing delivery is retried before it is marked dead.
    #[arg(long = "webhook-retry-for", env = "GASSTOCK_WEBHOOK_RETRY_FOR", value_parser = duration::positive, value_name = "DURATION",
          default_value = duration_default!(WorkerConfig::default().retry_for))]
    pub(crate) retry_for: Duration,

    /// The most deliveries the worker holds at once (claimed, waiting or in flight).
    #[arg(long = "webhook-batch", env = "GASSTOCK_WEBHOOK_BATCH", default_value_t = WorkerConfig::default().batch,
          value_parser = value_parser!(i64).range(1..=10_000))]
    pub(crate) batch: i64,

    /// The most requests in flight at once to one receiver (scheme://host:port).
    #[arg(long = "webhook-per-target", env = "GASSTOCK_WEBHOOK_PER_TARGET", default_value_t = WorkerConfig::default().per_target,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=1_000))]
    pub(crate) per_target: usize,
}

impl WebhookFlags {
    /// The worker to run, `None` when turned off.
    pub(crate) fn worker(&self) -> Option<WorkerConfig> {
        self.enabled.then_some(WorkerConfig {
            poll_interval: self.poll_interval,
            request_timeout: self.request_timeout,
            retry_base: self.retry_base,
            retry_cap: self.retry_cap,
            retry_for: self.retry_for,
            batch: self.batch,
            per_target: self.per_target,
        })
    }
}

fn webhook_timeout(text: &str) -> Result<Duration, String> {
    let timeout = duration::positive(text)?;
    if timeout > WorkerConfig::MAX_TIMEOUT {
        return Err(format!("must be at most {}", duration::format(WorkerConfig::MAX_TIMEOUT)));
    }
    Ok(timeout)
}
