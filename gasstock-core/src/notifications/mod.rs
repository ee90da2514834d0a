//! Who hears of which status change. Notifications are derived from status events and
//! written in the same transaction as the change (the outbox), so a crash can neither lose
//! nor invent one. What each change means is [`crate::events::notice`].
//!
//! Live delivery: one [`NotificationHub`] per server instance. Its watcher ([`watcher`])
//! reads everything new once per wake-up or interval and fans it out in memory to the
//! subscriptions of the recipients ([`hub`]); each stream's [`NotificationFeed`] ([`feed`])
//! replays what a reconnecting client missed and then passes on the live ones, each once.

pub mod feed;
pub mod hub;
mod position;
pub mod ticket;
pub mod watcher;

use crate::commands::PageRequest;
use crate::error::{Error, Result};
use crate::models::Paged;
use crate::policy::Actor;
use crate::Gasstock;

pub use crate::events::{notice, Audience, Notice, EVENT_TYPES};
pub use crate::models::Notification;
pub use feed::{FeedItem, NotificationFeed};
pub use hub::{NotificationHub, StreamLimits, StreamRefused, Subscription};
pub use ticket::{StreamTicket, STREAM_TICKET_TTL};
pub use watcher::NotificationWatcher;

/// The signed-in user's own notifications; nobody can read or mark anyone else's.
impl Gasstock {
    pub async fn notifications(
        &self,
        actor: &Actor,
        unread_only: bool,
        page: PageRequest,
    ) -> Result<Paged<Notification>> {
        self.store().list_notifications(actor.user_id, unread_only, page).await
    }

    pub async fn mark_notification_read(&self, actor: &Actor, id: i64) -> Result<Notification> {
        self.store()
            .mark_notification_read(actor.user_id, id)
            .await?
            .ok_or_else(|| Error::not_found("notification", id))
    }

    /// Returns how many notifications were unread.
    pub async fn mark_all_notifications_read(&self, actor: &Actor) -> Result<u64> {
        self.store().mark_all_notifications_read(actor.user_id).await
    }

    /// Notifications after `after_id`, oldest first, at most `limit` (1 to 1000).
    pub async fn notifications_after(&self, actor: &Actor, after_id: i64, limit: i64) -> Result<Vec<Notification>> {
        self.store().notifications_after(actor.user_id, after_id, limit.clamp(1, 1000)).await
    }

    pub async fn last_notification_id(&self, actor: &Actor) -> Result<i64> {
        self.store().last_notification_id(actor.user_id).await
    }
}
