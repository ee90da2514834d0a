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

const WEBHOOK_COLUMNS: &str = "id, url, events, secret, created_at, allow_private_host";

/// A due delivery a worker has claimed.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryJob {
    pub id: i64,
    pub webhook_id: i64,
    pub event_id: i64,
    pub event: String,
    pub payload: String,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
    pub url: String,
    pub secret: String,
    /// The webhook's opt-in to a host that is not public.
    pub allow_private_host: bool,
}

record!(DeliveryJob {
    id,
    webhook_id,
    event_id,
    event,
    payload,
    attempts,
    created_at,
    url,
    secret,
    allow_private_host
});

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
    pub async fn create_webhook(
        &self,
        url: &str,
        events: &str,
        secret: &str,
        allow_private_host: bool,
    ) -> Result<Webhook> {
        let insert = Sql::new(format!(
            "INSERT INTO webhooks (url, events, secret, created_at, allow_private_host) VALUES ($1, $2, $3, $4, $5) \
             RETURNING {WEBHOOK_COLUMNS}"
        ));
        self.write_one(insert.bind(url).bind(events).bind(secret).bind(now()).bind(allow_private_host)).await
    }

    pub async fn list_webhooks(&self) -> Result<Vec<Webhook>> {
        self.read_all(Sql::new(format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks ORDER BY id"))).await
    }

    /// `false` when there was no such webhook.
    pub async fn delete_webhook(&self, id: i64) -> Result<bool> {
        // Its deliveries and their attempts go with it (ON DELETE CASCADE).
        Ok(self.write_execute(Sql::new("DELETE FROM webhooks WHERE id = $1").bind(id)).await? > 0)
    }

    /// Sets the webhook's private-host opt-in; `None` when there is no such webhook.
    pub async fn set_webhook_private_host(&self, id: i64, allow: bool) -> Result<Option<Webhook>> {
        let update =
            Sql::new(format!("UPDATE webhooks SET allow_private_host = $1 WHERE id = $2 RETURNING {WEBHOOK_COLUMNS}"));
        self.write_optional(update.bind(allow).bind(id)).await
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
        self.claim_webhook_deliveries_except(limit, lease_until, &[]).await
    }

    pub async fn record_webhook_attempt(&self, attempt: AttemptRecord) -> Result<()> {
        self.record_webhook_attempts(std::slice::from_ref(&attempt)).await
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
