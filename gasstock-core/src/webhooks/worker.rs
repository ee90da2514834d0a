//! The delivery loop: dispatch new status events into deliveries, claim the due ones, POST
//! them (concurrently, each with a bounded timeout), record every attempt. It runs on its
//! own task, so a slow or dead receiver never slows the API.

use std::time::{Duration, Instant};

use chrono::Utc;
use futures::future::join_all;

use super::{next_step_after_failure, sign, AttemptRecord, DeliveryJob, NextStep, SIGNATURE_HEADER};
use crate::error::{Error, Result};
use crate::Gasstock;

/// How the worker polls, times out and retries.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub poll_interval: Duration,
    /// Per delivery; capped at [`WorkerConfig::MAX_TIMEOUT`].
    pub request_timeout: Duration,
    pub retry_base: Duration,
    pub retry_cap: Duration,
    /// After this long since the event, a failing delivery is marked dead.
    pub retry_for: Duration,
    /// Deliveries claimed per round.
    pub batch: i64,
}

impl WorkerConfig {
    pub const MAX_TIMEOUT: Duration = Duration::from_secs(30);
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            poll_interval: Duration::from_secs(1),
            request_timeout: Duration::from_secs(10),
            retry_base: Duration::from_secs(5),
            retry_cap: Duration::from_secs(3600),
            retry_for: Duration::from_secs(24 * 3600),
            batch: 32,
        }
    }
}

/// Delivers webhooks for one server instance; any number may run on one database.
#[derive(Debug, Clone)]
pub struct WebhookWorker {
    core: Gasstock,
    config: WorkerConfig,
    client: reqwest::Client,
}

impl WebhookWorker {
    pub fn new(core: Gasstock, mut config: WorkerConfig) -> Result<Self> {
        config.request_timeout = config.request_timeout.min(WorkerConfig::MAX_TIMEOUT);
        let client = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("gasstock-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(Error::internal)?;
        Ok(WebhookWorker { core, config, client })
    }

    /// One round: dispatch, claim, deliver, record. Returns how many attempts it made.
    pub async fn run_once(&self) -> Result<usize> {
        let store = self.core.store();
        while store.dispatch_webhook_events(500).await? == 500 {}
        let lease = chrono::Duration::from_std(self.config.request_timeout + Duration::from_secs(5))
            .map_err(Error::internal)?;
        let jobs = store.claim_webhook_deliveries(self.config.batch, Utc::now() + lease).await?;
        let attempts = join_all(jobs.into_iter().map(|job| self.attempt(job))).await;
        let made = attempts.len();
        for attempt in attempts {
            store.record_webhook_attempt(attempt).await?;
        }
        Ok(made)
    }

    /// Runs rounds until `shutdown` resolves; errors are logged and retried next round.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            match self.run_once().await {
                Ok(0) => {}
                Ok(made) => tracing::debug!(made, "webhook attempts"),
                Err(err) => tracing::warn!(error = %err, "webhook round failed"),
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(self.config.poll_interval) => {}
            }
        }
    }

    async fn attempt(&self, job: DeliveryJob) -> AttemptRecord {
        let started = Instant::now();
        let timestamp = Utc::now().timestamp();
        let response = self
            .client
            .post(&job.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, sign(&job.secret, timestamp, job.payload.as_bytes()))
            .header("Gasstock-Event", &job.event)
            .header("Gasstock-Delivery", job.id.to_string())
            .body(job.payload.clone())
            .send()
            .await;
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let (status_code, error) = match response {
            Ok(response) if response.status().is_success() => (Some(i64::from(response.status().as_u16())), None),
            Ok(response) => {
                (Some(i64::from(response.status().as_u16())), Some(format!("receiver answered {}", response.status())))
            }
            Err(err) => (None, Some(format!("request failed: {err}"))),
        };
        let attempt = job.attempts + 1;
        let next = if error.is_none() {
            NextStep::Delivered
        } else {
            let c = &self.config;
            next_step_after_failure(attempt, job.created_at, Utc::now(), c.retry_base, c.retry_cap, c.retry_for)
        };
        if let Some(error) = &error {
            tracing::info!(delivery = job.id, attempt, %error, ?next, "webhook delivery failed");
        }
        AttemptRecord { delivery_id: job.id, attempt, status_code, error, duration_ms, next }
    }
}
