//! One lane per receiver (`scheme://host:port`): a bound on the requests in flight to it, and
//! the count of deliveries the worker holds for it, so that the worker stops claiming for a
//! receiver that already has a full wave waiting (a slow receiver never fills every slot).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Debug)]
pub(super) struct Lanes {
    per_target: usize,
    lanes: Mutex<HashMap<String, Lane>>,
}

#[derive(Debug)]
struct Lane {
    permits: Arc<Semaphore>,
    held: usize,
    webhooks: BTreeSet<i64>,
}

/// A held delivery: takes its lane's permit to send, and leaves the lane when dropped.
#[derive(Debug)]
pub(super) struct Ticket {
    lanes: Arc<Lanes>,
    origin: String,
    permits: Arc<Semaphore>,
}

impl Lanes {
    pub fn new(per_target: usize) -> Arc<Self> {
        Arc::new(Lanes { per_target: per_target.max(1), lanes: Mutex::new(HashMap::new()) })
    }

    /// Counts a claimed delivery of `webhook_id` to `origin` as held.
    pub fn enter(self: &Arc<Self>, origin: String, webhook_id: i64) -> Ticket {
        let mut lanes = self.lanes.lock().unwrap_or_else(PoisonError::into_inner);
        let lane = lanes.entry(origin.clone()).or_insert_with(|| Lane {
            permits: Arc::new(Semaphore::new(self.per_target)),
            held: 0,
            webhooks: BTreeSet::new(),
        });
        lane.held += 1;
        lane.webhooks.insert(webhook_id);
        Ticket { lanes: self.clone(), origin, permits: lane.permits.clone() }
    }

    /// Shutting down: deliveries still waiting for a slot give up (their claims lapse and
    /// they are made later); requests already running finish.
    pub fn close(&self) {
        let lanes = self.lanes.lock().unwrap_or_else(PoisonError::into_inner);
        lanes.values().for_each(|lane| lane.permits.close());
    }

    /// Webhooks whose receiver has a wave in flight and another waiting: claim none of
    /// theirs until it drains.
    pub fn saturated_webhooks(&self) -> Vec<i64> {
        let lanes = self.lanes.lock().unwrap_or_else(PoisonError::into_inner);
        lanes
            .values()
            .filter(|lane| lane.held >= 2 * self.per_target)
            .flat_map(|lane| lane.webhooks.iter().copied())
            .collect()
    }
}

impl Ticket {
    /// Waits for a free slot of the receiver (FIFO); the request holds it while it runs.
    /// `None` once the worker shuts down.
    pub async fn permit(&self) -> Option<OwnedSemaphorePermit> {
        self.permits.clone().acquire_owned().await.ok()
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut lanes = self.lanes.lanes.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(lane) = lanes.get_mut(&self.origin) {
            lane.held -= 1;
            if lane.held == 0 {
                lanes.remove(&self.origin);
            }
        }
    }
}
