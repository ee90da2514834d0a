//! The delivery loop: dispatch new status events into deliveries, claim the due ones, POST
//! them (concurrently, at most `per_target` at once to one receiver, each with a bounded
//! timeout), record every attempt. It runs on its own task, so a slow or dead receiver never
//! slows the API.
//!
//! [`WebhookWorker::run`] is a pipeline, not a series of rounds: as soon as attempts finish
//! they are recorded (all that finished meanwhile in one transaction) and their slots are
//! claimed again, so a backlog drains at the speed of the receivers and the database rather
//! than one batch per poll interval. Order between deliveries is not promised (docs/api.md):
//! receivers deduplicate and order by the event `id`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::task::JoinSet;

use super::lanes::{Lanes, Ticket};
use super::target::{describe_failure, Clients};
use super::{next_step_after_failure, sign, AttemptRecord, DeliveryJob, NextStep, SIGNATURE_HEADER};
use crate::domain::{mask_url_credentials, WebhookTarget};
use crate::error::{Error, Result};
use crate::Gasstock;

/// An attempt made, or the id of a claimed delivery the worker gave up before sending.
type Attempted = std::result::Result<AttemptRecord, i64>;

/// How the worker polls, times out, retries and spreads its requests.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub poll_interval: Duration,
    /// Per delivery; capped at [`WorkerConfig::MAX_TIMEOUT`].
    pub request_timeout: Duration,
    pub retry_base: Duration,
    pub retry_cap: Duration,
    /// After this long since the event, a failing delivery is marked dead.
    pub retry_for: Duration,
    /// The most deliveries the worker holds at once (claimed, waiting or in flight).
    pub batch: i64,
    /// The most requests in flight at once to one receiver (`scheme://host:port`).
    pub per_target: usize,
}

impl WorkerConfig {
    pub const MAX_TIMEOUT: Duration = Duration::from_secs(30);

    /// How long a claim holds a delivery: long enough for every wave of requests to its
    /// receiver ahead of it, each bounded by the timeout (a delivery waits for at most
    /// `batch / per_target` waves), plus a margin to record the attempt.
    fn lease(&self) -> Duration {
        let batch = usize::try_from(self.batch.max(1)).unwrap_or(usize::MAX);
        let waves = u32::try_from(batch.div_ceil(self.per_target.max(1))).unwrap_or(u32::MAX);
        self.request_timeout.saturating_mul(waves).saturating_add(Duration::from_secs(5))
    }
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            poll_interval: Duration::from_secs(1),
            request_timeout: Duration::from_secs(10),
            retry_base: Duration::from_secs(5),
            retry_cap: Duration::from_secs(3600),
            retry_for: Duration::from_secs(24 * 3600),
            // 32 at once keep one receiver answering in 20 ms at ~1,000 deliveries/s, well
            // over what a loaded server produces (BENCHMARKS.md); a receiver is saturated at 64
            // held, so a slow one leaves half the slots to the others.
            batch: 128,
            per_target: 32,
        }
    }
}

/// Delivers webhooks for one server instance; any number may run on one database.
#[derive(Debug, Clone)]
pub struct WebhookWorker {
    core: Gasstock,
    config: Arc<WorkerConfig>,
    clients: Clients,
    lanes: Arc<Lanes>,
}

impl WebhookWorker {
    pub fn new(core: Gasstock, mut config: WorkerConfig) -> Result<Self> {
        config.request_timeout = config.request_timeout.min(WorkerConfig::MAX_TIMEOUT);
        config.per_target = config.per_target.max(1);
        config.batch = config.batch.max(1);
        let clients = Clients::new(config.request_timeout)?;
        let lanes = Lanes::new(config.per_target);
        Ok(WebhookWorker { core, config: Arc::new(config), clients, lanes })
    }

    /// One round: dispatch, claim, deliver, record. Returns how many attempts it made.
    pub async fn run_once(&self) -> Result<usize> {
        let mut flight = JoinSet::new();
        self.refill(&mut flight, true).await?;
        let mut finished = Vec::new();
        while let Some(done) = flight.join_next().await {
            finished.extend(done.map_err(Error::internal)?.ok());
        }
        self.core.store().record_webhook_attempts(&finished).await?;
        Ok(finished.len())
    }

    /// Runs until `shutdown` resolves, then finishes and records the attempts in flight.
    /// Errors are logged and retried at the next poll; an attempt whose record failed is
    /// made again once its lease runs out (at least once).
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut ticker = tokio::time::interval(self.config.poll_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut flight = JoinSet::new();
        // `tick`: look for new events and due retries; `backlog`: more may be due as soon as
        // slots free up. Short of a tick, claim only once a useful share of the slots is free
        // (each claim is a write transaction).
        let (mut tick, mut backlog) = (false, false);
        let low_water = (self.config.batch / 8).max(1);
        loop {
            let free = self.config.batch - i64::try_from(flight.len()).unwrap_or(i64::MAX);
            if tick || (backlog && free >= low_water) {
                backlog = self.refill(&mut flight, tick).await.unwrap_or_else(|err| {
                    tracing::warn!(error = %err, "webhook claim failed");
                    false
                });
                tick = false;
            }
            tokio::select! {
                biased;
                _ = &mut shutdown => {
                    self.lanes.close();
                    break;
                }
                Some(done) = flight.join_next(), if !flight.is_empty() => {
                    let mut finished = vec![done];
                    while let Some(done) = flight.try_join_next() {
                        finished.push(done);
                    }
                    self.record(finished).await;
                }
                _ = ticker.tick() => tick = true,
            }
        }
        let mut finished = Vec::new();
        while let Some(done) = flight.join_next().await {
            finished.push(done);
        }
        self.record(finished).await;
    }

    /// Records the attempts made; gives back the claims of deliveries never attempted.
    async fn record(&self, finished: Vec<std::result::Result<Attempted, tokio::task::JoinError>>) {
        let (mut attempts, mut unattempted) = (Vec::new(), Vec::new());
        for done in finished {
            match done {
                Ok(Ok(attempt)) => attempts.push(attempt),
                Ok(Err(delivery_id)) => unattempted.push(delivery_id),
                Err(err) => tracing::error!(error = %err, "webhook attempt task failed"),
            }
        }
        let store = self.core.store();
        match store.record_webhook_attempts(&attempts).await {
            Ok(()) => attempts.iter().for_each(|attempt| crate::metrics::webhook_attempt(outcome_label(&attempt.next))),
            Err(err) => tracing::warn!(error = %err, attempts = attempts.len(), "recording webhook attempts failed"),
        }
        if let Err(err) = store.release_webhook_claims(&unattempted).await {
            tracing::warn!(error = %err, "releasing webhook claims failed; they lapse with their lease");
        }
    }

    /// Dispatches new events (when `dispatch`), claims as many due deliveries as there are
    /// free slots (none of saturated receivers) and starts them. `true` when more may be due:
    /// the claim got all it asked for, there was no free slot, or it skipped a saturated
    /// receiver (whose next deliveries are claimed as soon as its lane drains).
    async fn refill(&self, flight: &mut JoinSet<Attempted>, dispatch: bool) -> Result<bool> {
        let store = self.core.store();
        if dispatch {
            while store.dispatch_webhook_events(500).await? == 500 {}
        }
        let free = self.config.batch - i64::try_from(flight.len()).unwrap_or(i64::MAX);
        if free <= 0 {
            return Ok(true);
        }
        let lease = chrono::Duration::from_std(self.config.lease()).map_err(Error::internal)?;
        let saturated = self.lanes.saturated_webhooks();
        let jobs = store.claim_webhook_deliveries_except(free, Utc::now() + lease, &saturated).await?;
        let more = i64::try_from(jobs.len()).unwrap_or(i64::MAX) == free || !saturated.is_empty();
        for job in jobs {
            let worker = self.clone();
            // The target rule again, on the stored URL: webhooks stored before it (or edited
            // in the database) are refused without a request.
            match WebhookTarget::for_delivery(&job.url, job.allow_private_host) {
                Ok(target) => {
                    let ticket = self.lanes.enter(target.origin(), job.webhook_id);
                    flight.spawn(async move { worker.attempt(job, target, ticket).await });
                }
                Err(err) => {
                    let refused = match err {
                        Error::Invalid { message, .. } if message.starts_with("target address") => message,
                        other => format!("target URL not allowed: {}", other.to_string().trim_start_matches("url: ")),
                    };
                    flight.spawn(async move { Ok(worker.outcome(&job, None, Some(refused), 0)) });
                }
            }
        }
        Ok(more)
    }

    /// `Err(delivery id)` when the worker shut down before a slot was free: nothing was sent.
    async fn attempt(&self, job: DeliveryJob, target: WebhookTarget, ticket: Ticket) -> Attempted {
        let Some(_slot) = ticket.permit().await else { return Err(job.id) };
        let started = Instant::now();
        let timestamp = Utc::now().timestamp();
        let response = self
            .clients
            .get(job.allow_private_host)
            .post(target.url().clone())
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
            Err(err) => {
                let recorded = describe_failure(&err, self.config.request_timeout);
                // The operator's log keeps the cause; the URL is left out of it (and shown
                // masked), as it may carry credentials stored before they were refused.
                tracing::debug!(delivery = job.id, target = %mask_url_credentials(&job.url), cause = %err.without_url(), "webhook request failed");
                (None, Some(recorded))
            }
        };
        Ok(self.outcome(&job, status_code, error, duration_ms))
    }

    fn outcome(
        &self,
        job: &DeliveryJob,
        status_code: Option<i64>,
        error: Option<String>,
        duration_ms: i64,
    ) -> AttemptRecord {
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

/// The metrics' name of what an attempt led to.
fn outcome_label(next: &NextStep) -> &'static str {
    match next {
        NextStep::Delivered => "sent",
        NextStep::RetryAt(_) => "failed",
        NextStep::Dead => "dead",
    }
}
