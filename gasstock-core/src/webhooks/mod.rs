//! Webhooks for integrations (SMS gateways, mobile money, dashboards): every status event
//! that produces a notification is POSTed, signed, to the URLs subscribed to its type,
//! at least once, with retries and exponential backoff.
//!
//! Deliveries come from the status events (the outbox), so a crash or a restart loses none;
//! a worker claims due deliveries with a lease (and `FOR UPDATE SKIP LOCKED` on PostgreSQL),
//! so several server instances never send the same attempt at once.
//!
//! Targets follow the rule of `domain::WebhookTarget` (public addresses only, unless an admin
//! opted the webhook in to a private host), checked when a webhook is added and again, on the
//! resolved addresses, at every delivery (`target.rs`).

mod lanes;
mod signature;
mod target;
mod worker;

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::commands::PageRequest;
use crate::domain::{mask_url_credentials, WebhookTarget};
use crate::error::{Error, Result};
use crate::models::Paged;
use crate::policy::{authorize, Actor, Operation};
use crate::Gasstock;

pub use crate::commands::validate_subscription;
pub use crate::events::{payload, subscribes, Payload};
pub use crate::models::{Webhook, WebhookAttempt, WebhookDelivery};
pub use crate::store::{AttemptRecord, DeliveryJob, NextStep};
pub use signature::{sign, verify, SIGNATURE_HEADER};
pub use worker::{WebhookWorker, WorkerConfig};

/// When to try again after `attempts` failed attempts, or `Dead` once the delivery is
/// older than `retry_for`. Backoff doubles from `base` up to `cap`.
pub fn next_step_after_failure(
    attempts: i64,
    created_at: DateTime<Utc>,
    now: DateTime<Utc>,
    base: Duration,
    cap: Duration,
    retry_for: Duration,
) -> NextStep {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let delay = base.saturating_mul(2u32.saturating_pow(exponent)).min(cap);
    let next = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
    let deadline = created_at + chrono::Duration::from_std(retry_for).unwrap_or(chrono::Duration::MAX);
    if next > deadline {
        NextStep::Dead
    } else {
        NextStep::RetryAt(next)
    }
}

/// A new random secret, 32 bytes as hex.
pub fn generate_secret() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("whsec_{}", hex::encode(bytes))
}

/// Managing webhooks is for admins.
impl Gasstock {
    /// Subscribes `url` to `events`. `allow_private_host` is the admin's explicit opt-in to
    /// a target that is not public (loopback, private, link-local), stored with the webhook.
    pub async fn add_webhook(
        &self,
        actor: &Actor,
        url: &str,
        events: &[String],
        allow_private_host: bool,
    ) -> Result<Webhook> {
        authorize(actor, Operation::ManageWebhooks)?;
        let (url, events) = validate_subscription(url, events, allow_private_host)?;
        self.store().create_webhook(&url, &events, &generate_secret(), allow_private_host).await
    }

    /// Every webhook, oldest first; credentials in a URL stored before they were refused are
    /// masked (`https://***@host/...`): nobody needs to read them back.
    pub async fn webhooks(&self, actor: &Actor) -> Result<Vec<Webhook>> {
        authorize(actor, Operation::ManageWebhooks)?;
        let hooks = self.store().list_webhooks().await?;
        Ok(hooks
            .into_iter()
            .map(|hook| Webhook { url: mask_url_credentials(&hook.url).into_owned(), ..hook })
            .collect())
    }

    /// Turns the private-host opt-in of an existing webhook on or off (for webhooks stored
    /// before the target rule, whose pending deliveries then go out at their next retry).
    /// Refused when the stored URL would still be refused with it: credentials, an odd IP
    /// notation or an address never deliverable need a new webhook.
    pub async fn set_webhook_private_host(&self, actor: &Actor, id: i64, allow: bool) -> Result<Webhook> {
        authorize(actor, Operation::ManageWebhooks)?;
        let current = self.store().list_webhooks().await?.into_iter().find(|hook| hook.id == id);
        let hook = current.ok_or_else(|| Error::not_found("webhook", id))?;
        if allow {
            WebhookTarget::for_delivery(&hook.url, true)?;
        }
        let hook = self.store().set_webhook_private_host(id, allow).await?;
        let hook = hook.ok_or_else(|| Error::not_found("webhook", id))?;
        Ok(Webhook { url: mask_url_credentials(&hook.url).into_owned(), ..hook })
    }

    pub async fn remove_webhook(&self, actor: &Actor, id: i64) -> Result<()> {
        authorize(actor, Operation::ManageWebhooks)?;
        if self.store().delete_webhook(id).await? {
            Ok(())
        } else {
            Err(Error::not_found("webhook", id))
        }
    }

    pub async fn webhook_deliveries(
        &self,
        actor: &Actor,
        webhook_id: Option<i64>,
        page: PageRequest,
    ) -> Result<Paged<WebhookDelivery>> {
        authorize(actor, Operation::ManageWebhooks)?;
        self.store().list_webhook_deliveries(webhook_id, page).await
    }

    /// Every attempt, newest first, optionally of one webhook's deliveries only.
    pub async fn webhook_attempts(
        &self,
        actor: &Actor,
        webhook_id: Option<i64>,
        page: PageRequest,
    ) -> Result<Paged<WebhookAttempt>> {
        authorize(actor, Operation::ManageWebhooks)?;
        self.store().list_webhook_attempts(webhook_id, page).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions() {
        let events = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (url, list) = validate_subscription(
            " https://hooks.example.rw/gas ",
            &events(&["payment.released,order.approved", "order.approved"]),
            false,
        )
        .unwrap();
        assert_eq!((url.as_str(), list.as_str()), ("https://hooks.example.rw/gas", "order.approved,payment.released"));
        assert!(validate_subscription("http://127.0.0.1:9000", &events(&["*"]), false).is_err(), "loopback");
        assert!(validate_subscription("http://127.0.0.1:9000", &events(&["*"]), true).is_ok(), "opted in");
        for bad in ["ftp://x.rw", "https://", "javascript:alert(1)", "hooks.example.rw", "http:// x"] {
            assert!(validate_subscription(bad, &events(&["*"]), true).is_err(), "{bad}");
        }
        assert!(validate_subscription("https://x.rw", &events(&["order.shipped"]), false).is_err());
        assert!(validate_subscription("https://x.rw", &events(&[" "]), false).is_err());
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_then_gives_up() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        let (base, cap, window) = (Duration::from_secs(1), Duration::from_secs(60), Duration::from_secs(3600));
        let delay = |attempts| match next_step_after_failure(attempts, t0, t0, base, cap, window) {
            NextStep::RetryAt(at) => (at - t0).num_seconds(),
            other => panic!("{other:?}"),
        };
        assert_eq!([delay(1), delay(2), delay(3), delay(7), delay(50)], [1, 2, 4, 60, 60]);
        let late = t0 + chrono::Duration::seconds(3599);
        assert_eq!(next_step_after_failure(3, t0, late, base, cap, window), NextStep::Dead);
    }

    #[test]
    fn secrets_are_random() {
        assert_ne!(generate_secret(), generate_secret());
        assert_eq!(generate_secret().len(), "whsec_".len() + 64);
    }
}
