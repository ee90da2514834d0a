//! The open notification streams of one server instance, by user, and the fan-out to them.
//!
//! The watcher ([`super::watcher`]) hands each notification it reads to [`NotificationHub::deliver`],
//! which queues it for every open stream of its recipient and for nobody else. An idle stream
//! costs nothing here but its entry. The hub also bounds the streams: per user (a phone, a
//! tablet, a dashboard: 10 by default) and per instance.
//!
//! The watcher's position is kept under the same lock as the streams, so that a stream that
//! opens knows exactly which notifications the watcher has already handed out before it (it
//! gets those from its replay) and which it will still receive (see [`super::feed`]).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::position::Position;
use crate::models::Notification;
use crate::policy::Actor;
use crate::store::Addressed;

/// Notifications queued for one stream that has not written them out yet. A stream that
/// falls this far behind (a client that stopped reading) is ended; its client reconnects
/// with `Last-Event-ID` and the replay gives it everything it missed.
const QUEUE: usize = 256;

/// How many notification streams may be open at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamLimits {
    /// Per user, on this instance.
    pub per_user: usize,
    /// In all, on this instance.
    pub per_instance: usize,
}

impl StreamLimits {
    pub const DEFAULT_PER_USER: usize = 10;
    pub const DEFAULT_PER_INSTANCE: usize = 10_000;
}

impl Default for StreamLimits {
    fn default() -> Self {
        StreamLimits { per_user: Self::DEFAULT_PER_USER, per_instance: Self::DEFAULT_PER_INSTANCE }
    }
}

/// Why a stream was not opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StreamRefused {
    #[error("this user already has {limit} notification streams open: close one first")]
    TooManyForUser { limit: usize },
    #[error("this server serves its maximum of {limit} notification streams: try again later")]
    InstanceFull { limit: usize },
}

/// The streams of one server instance (cheap to clone: shared).
#[derive(Debug, Clone)]
pub struct NotificationHub {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    limits: StreamLimits,
    registry: Mutex<Registry>,
}

#[derive(Debug)]
struct Registry {
    /// The watcher's position: what it has handed out.
    position: Position,
    streams: HashMap<i64, Vec<Subscriber>>,
    open: usize,
    next_id: u64,
}

#[derive(Debug)]
struct Subscriber {
    id: u64,
    queue: mpsc::Sender<Arc<Notification>>,
}

/// What the watcher had handed out when a stream opened: notifications it will not send to
/// that stream.
#[derive(Debug, Clone, Default)]
pub(crate) struct HandedOut {
    pub settled: i64,
    pub recent: HashSet<i64>,
}

impl HandedOut {
    pub fn contains(&self, id: i64) -> bool {
        id <= self.settled || self.recent.contains(&id)
    }
}

/// One open stream's place in the hub: the notifications of its user, from the moment it
/// opened. Leaves the hub when dropped.
#[derive(Debug)]
pub struct Subscription {
    hub: NotificationHub,
    id: u64,
    user_id: i64,
    queue: mpsc::Receiver<Arc<Notification>>,
    pub(crate) handed_out: HandedOut,
}

impl Subscription {
    pub fn user_id(&self) -> i64 {
        self.user_id
    }

    /// The next notification for this user; `None` once the hub ended this stream (it fell
    /// [`QUEUE`] behind). Cancel-safe.
    pub async fn recv(&mut self) -> Option<Arc<Notification>> {
        self.queue.recv().await
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.registry().remove(self.user_id, self.id);
    }
}

impl NotificationHub {
    /// A hub whose watcher has seen every notification up to `start`.
    pub(crate) fn new(limits: StreamLimits, start: i64) -> Self {
        let registry = Registry { position: Position::new(start), streams: HashMap::new(), open: 0, next_id: 0 };
        NotificationHub { inner: Arc::new(Inner { limits, registry: Mutex::new(registry) }) }
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.inner.registry.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn limits(&self) -> StreamLimits {
        self.inner.limits
    }

    /// Opens a stream for `actor`, within the limits.
    pub fn subscribe(&self, actor: &Actor) -> Result<Subscription, StreamRefused> {
        let limits = self.inner.limits;
        let mut registry = self.registry();
        if registry.open >= limits.per_instance {
            return Err(StreamRefused::InstanceFull { limit: limits.per_instance });
        }
        let theirs = registry.streams.get(&actor.user_id).map_or(0, Vec::len);
        if theirs >= limits.per_user {
            return Err(StreamRefused::TooManyForUser { limit: limits.per_user });
        }
        let (sender, queue) = mpsc::channel(QUEUE);
        registry.next_id += 1;
        let id = registry.next_id;
        registry.streams.entry(actor.user_id).or_default().push(Subscriber { id, queue: sender });
        registry.open += 1;
        let handed_out =
            HandedOut { settled: registry.position.query_after(), recent: registry.position.recent_ids().collect() };
        drop(registry);
        Ok(Subscription { hub: self.clone(), id, user_id: actor.user_id, queue, handed_out })
    }

    /// Streams open now: in all, and of `user_id`.
    pub fn open_streams(&self, user_id: i64) -> (usize, usize) {
        let registry = self.registry();
        (registry.open, registry.streams.get(&user_id).map_or(0, Vec::len))
    }

    /// Where the watcher reads from.
    pub(crate) fn query_after(&self) -> i64 {
        self.registry().position.query_after()
    }

    /// Hands what the watcher read to the streams of its recipients: each notification once,
    /// to every open stream of its user and to no other.
    pub(crate) fn deliver(&self, found: Vec<Addressed>, now: Instant) {
        let mut registry = self.registry();
        for Addressed { user_id, notification } in found {
            if !registry.position.accept(notification.id, now) {
                continue;
            }
            let Some(streams) = registry.streams.get_mut(&user_id) else { continue };
            let notification = Arc::new(notification);
            let before = streams.len();
            // A stream that cannot take it (gone, or too far behind) is ended.
            streams.retain(|stream| stream.queue.try_send(notification.clone()).is_ok());
            let ended = before - streams.len();
            if streams.is_empty() {
                registry.streams.remove(&user_id);
            }
            registry.open -= ended;
        }
        registry.position.settle(now);
    }
}

impl Registry {
    fn remove(&mut self, user_id: i64, id: u64) {
        let Some(streams) = self.streams.get_mut(&user_id) else { return };
        let before = streams.len();
        streams.retain(|stream| stream.id != id);
        self.open -= before - streams.len();
        if streams.is_empty() {
            self.streams.remove(&user_id);
        }
    }
}
