//! Webhooks: subscriptions, the deliveries dispatched from status events, and the attempts
//! a worker makes (the worker itself is in the webhooks module above the store).

use chrono::{DateTime, Utc};

use super::db::{now, Sql};
use super::events::EVENT_COLUMNS;
use super::page::select_counted;
use super::row::record;
use super::Store;
use crate::commands::PageRequest;
use crate::domain::WebhookDeliveryStatus;
use crate::error::Result;
use crate::events::{payload, subscribes};
use crate::models::{Paged, StatusEvent, Webhook, WebhookAttempt, WebhookDelivery};

const WEBHOOK_COLUMNS: &str = "id, url, events, secret, created_at";

/// A due delivery a worker has claimed.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryJob {
    pub id: i64,
    pub event_id: i64,
    pub event: String,
    pub payload: String,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
    pub url: String,
    pub secret: String,
}

record!(DeliveryJob { id, event_id, event, payload, attempts, created_at, url, secret });

/// What happened to one attempt, and what happens next.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRecord {
    pub delivery_id: i64,
    pub attempt: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub next: NextStep,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    Delivered,
    RetryAt(DateTime<Utc>),
    Dead,
}

impl Store {
    pub async fn create_webhook(&self, url: &str, events: &str, secret: &str) -> Result<Webhook> {
        let insert = Sql::new(format!(
            "INSERT INTO webhooks (url, events, secret, created_at) VALUES ($1, $2, $3, $4) RETURNING {WEBHOOK_COLUMNS}"
        ));
        self.write_one(insert.bind(url).bind(events).bind(secret).bind(now())).await
    }

    pub async fn list_webhooks(&self) -> Result<Vec<Webhook>> {
        self.read_all(Sql::new(format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks ORDER BY id"))).await
    }

    /// `false` when there was no such webhook.
    pub async fn delete_webhook(&self, id: i64) -> Result<bool> {
        // Its deliveries and their attempts go with it (ON DELETE CASCADE).
        Ok(self.write_execute(Sql::new("DELETE FROM webhooks WHERE id = $1").bind(id)).await? > 0)
    }

    /// Turns up to `limit` undispatched status events into deliveries for the webhooks
    /// subscribed to them; returns how many events were dispatched.
    pub async fn dispatch_webhook_events(&self, limit: i64) -> Result<u64> {
        let at = now();
        let undispatched = Sql::new(format!(
            "SELECT {EVENT_COLUMNS} FROM status_events WHERE webhook_dispatched_at IS NULL ORDER BY id LIMIT $1{}",
            self.dialect().skip_locked()
        ))
        .bind(limit);
        self.write(move |mut conn| {
            Box::pin(async move {
                let events: Vec<StatusEvent> = conn.fetch_all(undispatched).await?;
                if events.is_empty() {
                    return Ok(0);
                }
                let webhooks: Vec<Webhook> =
                    conn.fetch_all(Sql::new(format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks"))).await?;
                for event in &events {
                    let Some(payload) = payload(event) else { continue };
                    for hook in webhooks.iter().filter(|hook| subscribes(hook, &payload.kind, event.created_at)) {
                        let insert = Sql::new(
                            "INSERT INTO webhook_deliveries (webhook_id, event_id, event, payload, status, attempts, \
                             next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $6) \
                             ON CONFLICT (webhook_id, event_id) DO NOTHING",
                        )
                        .bind(hook.id)
                        .bind(event.id)
                        .bind(&payload.kind)
                        .bind(&payload.body)
                        .bind(WebhookDeliveryStatus::Pending)
                        .bind(at);
                        conn.execute(insert).await?;
                    }
                }
                let mut stamp = Sql::new("UPDATE status_events SET webhook_dispatched_at = ");
                stamp.push_bind(at).push(" WHERE id IN (").push_list(events.iter().map(|event| event.id)).push(")");
                conn.execute(stamp).await?;
                Ok(events.len() as u64)
            })
        })
        .await
    }

    /// Claims up to `limit` due deliveries until `lease_until`; nobody else takes them
    /// before then.
    pub async fn claim_webhook_deliveries(&self, limit: i64, lease_until: DateTime<Utc>) -> Result<Vec<DeliveryJob>> {
        let claim = Sql::new(format!(
            "UPDATE webhook_deliveries SET claimed_until = $1 WHERE id IN ( \
               SELECT id FROM webhook_deliveries WHERE status = '{pending}' AND next_attempt_at <= $2 \
               AND (claimed_until IS NULL OR claimed_until < $2) ORDER BY next_attempt_at, id LIMIT $3{skip_locked}) \
             RETURNING id, event_id, event, payload, attempts, created_at, \
               (SELECT url FROM webhooks WHERE webhooks.id = webhook_deliveries.webhook_id) AS url, \
               (SELECT secret FROM webhooks WHERE webhooks.id = webhook_deliveries.webhook_id) AS secret",
            // Written into the text, not bound: the partial index `webhook_deliveries_due` (WHERE
            // status = 'pending') serves only a query whose predicate the planner can see.
            pending = WebhookDeliveryStatus::Pending.as_str(),
            skip_locked = self.dialect().skip_locked()
        ))
        .bind(lease_until)
        .bind(now())
        .bind(limit);
        self.write(move |mut conn| Box::pin(async move { conn.fetch_all(claim).await })).await
    }

    pub async fn record_webhook_attempt(&self, attempt: AttemptRecord) -> Result<()> {
        let at = now();
        let (status, next_at, finished_at) = match attempt.next {
            NextStep::Delivered => (WebhookDeliveryStatus::Delivered, None, Some(at)),
            NextStep::RetryAt(next) => (WebhookDeliveryStatus::Pending, Some(next), None),
            NextStep::Dead => (WebhookDeliveryStatus::Dead, None, Some(at)),
        };
        self.write(move |mut conn| {
            Box::pin(async move {
                let log = Sql::new(
                    "INSERT INTO webhook_attempts (delivery_id, attempt, status_code, error, duration_ms, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(attempt.delivery_id)
                .bind(attempt.attempt)
                .bind(attempt.status_code)
                .bind(attempt.error.as_deref())
                .bind(attempt.duration_ms)
                .bind(at);
                conn.execute(log).await?;
                let update = Sql::new(
                    "UPDATE webhook_deliveries SET attempts = $1, status = $2, next_attempt_at = COALESCE($3, next_attempt_at), \
                     last_error = $4, claimed_until = NULL, finished_at = $5 WHERE id = $6",
                )
                .bind(attempt.attempt)
                .bind(status)
                .bind(next_at)
                .bind(attempt.error)
                .bind(finished_at)
                .bind(attempt.delivery_id);
                conn.execute(update).await?;
                Ok(())
            })
        })
        .await
    }

    /// Newest first.
    pub async fn list_webhook_deliveries(
        &self,
        webhook_id: Option<i64>,
        page: PageRequest,
    ) -> Result<Paged<WebhookDelivery>> {
        const COLUMNS: &str =
            "id, webhook_id, event_id, event, status, attempts, next_attempt_at, last_error, created_at, finished_at";
        self.fetch_page(page, |sql, count_only| {
            select_counted(sql, count_only, COLUMNS, "webhook_deliveries WHERE 1 = 1");
            if let Some(webhook_id) = webhook_id {
                sql.push(" AND webhook_id = ").push_bind(webhook_id);
            }
            if !count_only {
                sql.push(" ORDER BY id DESC");
            }
        })
        .await
    }

    /// Every delivery attempt (optionally of one webhook's deliveries), newest first.
    pub async fn list_webhook_attempts(
        &self,
        webhook_id: Option<i64>,
        page: PageRequest,
    ) -> Result<Paged<WebhookAttempt>> {
        const COLUMNS: &str = "a.id, a.delivery_id, d.webhook_id, d.event_id, d.event, a.attempt, a.status_code, \
            a.error, a.duration_ms, a.created_at";
        const FROM: &str = "webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE 1 = 1";
        self.fetch_page(page, |sql, count_only| {
            select_counted(sql, count_only, COLUMNS, FROM);
            if let Some(webhook_id) = webhook_id {
                sql.push(" AND d.webhook_id = ").push_bind(webhook_id);
            }
            if !count_only {
                sql.push(" ORDER BY a.id DESC");
            }
        })
        .await
    }
}
