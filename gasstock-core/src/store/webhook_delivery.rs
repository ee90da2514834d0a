//! The delivery worker's two writes: claiming due deliveries (skipping the webhooks whose
//! receiver is already saturated) and recording finished attempts, many in one transaction.

use chrono::{DateTime, Utc};

use super::db::{now, Sql, Value};
use super::{AttemptRecord, DeliveryJob, NextStep, Store};
use crate::domain::WebhookDeliveryStatus;
use crate::error::Result;

impl Store {
    /// Claims up to `limit` due deliveries, none of the webhooks in `except`, until
    /// `lease_until`; nobody else takes them before then.
    pub async fn claim_webhook_deliveries_except(
        &self,
        limit: i64,
        lease_until: DateTime<Utc>,
        except: &[i64],
    ) -> Result<Vec<DeliveryJob>> {
        let mut claim = Sql::new(format!(
            "UPDATE webhook_deliveries SET claimed_until = $1 WHERE id IN ( \
               SELECT id FROM webhook_deliveries WHERE status = '{pending}' AND next_attempt_at <= $2 \
               AND (claimed_until IS NULL OR claimed_until < $2)",
            // Written into the text, not bound: the partial index `webhook_deliveries_due` (WHERE
            // status = 'pending') serves only a query whose predicate the planner can see.
            pending = WebhookDeliveryStatus::Pending.as_str(),
        ))
        .bind(lease_until)
        .bind(now());
        if !except.is_empty() {
            claim.push(" AND webhook_id NOT IN (").push_list(except.iter().copied()).push(")");
        }
        claim.push(" ORDER BY next_attempt_at, id LIMIT ").push_bind(limit).push(self.dialect().skip_locked()).push(
            ") RETURNING id, webhook_id, event_id, event, payload, attempts, created_at, \
               (SELECT url FROM webhooks WHERE webhooks.id = webhook_deliveries.webhook_id) AS url, \
               (SELECT secret FROM webhooks WHERE webhooks.id = webhook_deliveries.webhook_id) AS secret, \
               (SELECT allow_private_host FROM webhooks WHERE webhooks.id = webhook_deliveries.webhook_id) \
                 AS allow_private_host",
        );
        self.write(move |mut conn| Box::pin(async move { conn.fetch_all(claim).await })).await
    }

    /// Gives claimed deliveries back unattempted (a worker shutting down), so that the next
    /// worker need not wait for their lease to run out.
    pub async fn release_webhook_claims(&self, ids: &[i64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut release = Sql::new("UPDATE webhook_deliveries SET claimed_until = NULL WHERE id IN (");
        release.push_list(ids.iter().copied()).push(")");
        self.write_execute(release).await.map(|_| ())
    }

    /// Logs each attempt and moves its delivery on (delivered, retry later, dead), all in one
    /// transaction: a busy worker pays for one commit per batch, not per delivery.
    pub async fn record_webhook_attempts(&self, attempts: &[AttemptRecord]) -> Result<()> {
        if attempts.is_empty() {
            return Ok(());
        }
        let at = now();
        let mut log = Sql::new(
            "INSERT INTO webhook_attempts (delivery_id, attempt, status_code, error, duration_ms, created_at)",
        );
        log.push_values(attempts, |a| {
            vec![
                a.delivery_id.into(),
                a.attempt.into(),
                a.status_code.into(),
                a.error.as_deref().into(),
                a.duration_ms.into(),
                Value::from(at),
            ]
        });
        let mut updates = Vec::with_capacity(attempts.len());
        for attempt in attempts {
            let (status, next_at, finished_at) = match attempt.next {
                NextStep::Delivered => (WebhookDeliveryStatus::Delivered, None, Some(at)),
                NextStep::RetryAt(next) => (WebhookDeliveryStatus::Pending, Some(next), None),
                NextStep::Dead => (WebhookDeliveryStatus::Dead, None, Some(at)),
            };
            let update = Sql::new(
                "UPDATE webhook_deliveries SET attempts = $1, status = $2, \
                 next_attempt_at = COALESCE($3, next_attempt_at), last_error = $4, claimed_until = NULL, \
                 finished_at = $5 WHERE id = $6",
            )
            .bind(attempt.attempt)
            .bind(status)
            .bind(next_at)
            .bind(attempt.error.as_deref())
            .bind(finished_at)
            .bind(attempt.delivery_id);
            updates.push(update);
        }
        self.write(move |mut conn| {
            Box::pin(async move {
                conn.execute(log).await?;
                for update in updates {
                    conn.execute(update).await?;
                }
                Ok(())
            })
        })
        .await
    }
}
