//! One live stream's notifications, each exactly once: first the replay of what a
//! reconnecting client missed (after its `Last-Event-ID`, read once from the database), then
//! the live ones the hub hands to its subscription.
//!
//! The subscription is taken before the replay is read, so nothing committed in between is
//! lost; what both bring is sent once. A live notification the replay already sent is one the
//! watcher had not handed out when the stream opened (see [`super::hub::HandedOut`]) and that
//! the replay read: only those are remembered, so a replay from 0 costs no memory here.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use super::hub::Subscription;
use crate::error::{Error, Result};
use crate::models::Notification;
use crate::policy::Actor;
use crate::store::Store;
use crate::Gasstock;

/// Notifications read per replay query.
const REPLAY_BATCH: i64 = 500;

/// One notification for the stream.
#[derive(Debug, Clone)]
pub struct FeedItem {
    pub notification: Arc<Notification>,
    /// `false` for a notification that committed after one with a higher id was sent (on
    /// PostgreSQL): sent without an `id:` line, so that the client's last event id never goes
    /// backwards and a reconnection repeats nothing.
    pub in_order: bool,
}

/// The notifications of one stream (see the module's documentation).
#[derive(Debug)]
pub struct NotificationFeed {
    store: Store,
    subscription: Subscription,
    /// Nothing at or below this id is sent: the client had it (its `Last-Event-ID`) or it
    /// predates the stream.
    start: i64,
    /// The highest id sent: the client's last event id.
    cursor: i64,
    /// Replaying: the last id read so far.
    replay_after: Option<i64>,
    replayed: VecDeque<Notification>,
    /// Replayed ids the hub will still hand out live.
    sent_twice: HashSet<i64>,
}

impl Gasstock {
    /// The feed of `actor`'s stream over `subscription` (which must be theirs): after
    /// `last_event_id`, replayed first, or, without one, from now on.
    pub async fn notification_feed(
        &self,
        actor: &Actor,
        subscription: Subscription,
        last_event_id: Option<i64>,
    ) -> Result<NotificationFeed> {
        if subscription.user_id() != actor.user_id {
            return Err(Error::Forbidden("a notification stream is its own user's".into()));
        }
        let (start, replay_after) = match last_event_id {
            Some(id) => (id.max(0), Some(id.max(0))),
            // Read after subscribing: whatever commits after this read comes live.
            None => (self.store().last_notification_id(actor.user_id).await?, None),
        };
        Ok(NotificationFeed {
            store: self.store().clone(),
            subscription,
            start,
            cursor: start,
            replay_after,
            replayed: VecDeque::new(),
            sent_twice: HashSet::new(),
        })
    }
}

impl NotificationFeed {
    /// The next notification to send; `None` when the hub ended the stream (it fell behind:
    /// the client reconnects and its replay fills the gap). Cancel-safe: a read interrupted
    /// before it returns is simply read again.
    pub async fn next(&mut self) -> Option<Result<FeedItem>> {
        loop {
            if let Some(notification) = self.replayed.pop_front() {
                self.cursor = self.cursor.max(notification.id);
                return Some(Ok(FeedItem { notification: Arc::new(notification), in_order: true }));
            }
            if let Some(after) = self.replay_after {
                let user_id = self.subscription.user_id();
                let batch = match self.store.notifications_after(user_id, after, REPLAY_BATCH).await {
                    Ok(batch) => batch,
                    Err(err) => return Some(Err(err)),
                };
                self.replay_after = (batch.len() as i64 == REPLAY_BATCH).then(|| batch.last().map_or(after, |n| n.id));
                let handed_out = &self.subscription.handed_out;
                self.sent_twice.extend(batch.iter().map(|n| n.id).filter(|id| !handed_out.contains(*id)));
                self.replayed.extend(batch);
                continue;
            }
            let notification = self.subscription.recv().await?;
            if let Some(item) = self.accept_live(notification) {
                return Some(Ok(item));
            }
        }
    }

    fn accept_live(&mut self, notification: Arc<Notification>) -> Option<FeedItem> {
        let id = notification.id;
        if id <= self.start || self.sent_twice.remove(&id) {
            return None;
        }
        let in_order = id > self.cursor;
        self.cursor = self.cursor.max(id);
        Some(FeedItem { notification, in_order })
    }
}
