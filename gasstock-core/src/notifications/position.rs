//! Where the watcher is in the sequence of notification ids: what it has seen, and from where
//! it must keep reading.
//!
//! Notification ids come from one sequence, but on PostgreSQL two transactions can commit in
//! the other order than their ids: a lower id becomes visible after a higher one was read.
//! So the ids seen above the last gap are remembered, and the watcher keeps reading from the
//! gap: a late one is still found (once). A gap that stays open for [`LATE_COMMIT_WINDOW`]
//! after a higher id was seen is taken as permanent (a rolled-back transaction). With no gap
//! (SQLite always: one writer, ids in commit order) the watcher reads only what is new.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;

/// How long a gap below a seen id may still fill (a transaction that took an id earlier and
/// commits later): its notification is still found and sent within this window.
pub(crate) const LATE_COMMIT_WINDOW: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub(crate) struct Position {
    /// Every id at or below this one has been seen (or can no longer appear).
    settled: i64,
    /// Ids above `settled` already seen, and when.
    recent: BTreeMap<i64, Instant>,
}

impl Position {
    pub fn new(start: i64) -> Self {
        Position { settled: start, recent: BTreeMap::new() }
    }

    /// Read notifications with ids above this one.
    pub fn query_after(&self) -> i64 {
        self.settled
    }

    /// Whether `id` was seen already (or can no longer appear).
    pub fn has_seen(&self, id: i64) -> bool {
        id <= self.settled || self.recent.contains_key(&id)
    }

    /// The ids seen above `settled`.
    pub fn recent_ids(&self) -> impl Iterator<Item = i64> + '_ {
        self.recent.keys().copied()
    }

    /// Records `id` as seen; `false` if it was already.
    pub fn accept(&mut self, id: i64, now: Instant) -> bool {
        if self.has_seen(id) {
            return false;
        }
        self.recent.insert(id, now);
        true
    }

    /// Moves `settled` up over every id seen without a gap, and over gaps older than the window.
    pub fn settle(&mut self, now: Instant) {
        if let Some(horizon) = now.checked_sub(LATE_COMMIT_WINDOW) {
            if let Some(old) = self.recent.iter().filter(|(_, at)| **at <= horizon).map(|(id, _)| *id).max() {
                self.settled = self.settled.max(old);
                self.recent.retain(|id, _| *id > old);
            }
        }
        while self.recent.remove(&(self.settled + 1)).is_some() {
            self.settled += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_without_gaps_settle_at_once() {
        let t0 = Instant::now();
        let mut position = Position::new(10);
        assert!(!position.accept(9, t0), "at or before the start: never");
        assert!(position.accept(11, t0) && position.accept(12, t0));
        assert!(!position.accept(11, t0), "nothing twice");
        position.settle(t0);
        assert_eq!((position.query_after(), position.recent.len()), (12, 0));
    }

    #[test]
    fn a_gap_is_read_again_until_it_fills_or_the_window_passes() {
        let t0 = Instant::now();
        let mut position = Position::new(0);
        assert!(position.accept(1, t0) && position.accept(3, t0));
        position.settle(t0 + Duration::from_secs(1));
        assert_eq!(position.query_after(), 1, "2 may still commit");
        assert!(position.has_seen(3) && !position.has_seen(2));
        // 2 commits after 3 was read: found once, and everything settles.
        assert!(position.accept(2, t0 + Duration::from_secs(1)));
        assert!(!position.accept(2, t0 + Duration::from_secs(2)));
        position.settle(t0 + Duration::from_secs(2));
        assert_eq!((position.query_after(), position.recent.len()), (3, 0));
        // A gap that never fills (a rollback) is given up after the window.
        assert!(position.accept(5, t0 + Duration::from_secs(3)));
        position.settle(t0 + Duration::from_secs(4));
        assert_eq!(position.query_after(), 3);
        position.settle(t0 + Duration::from_secs(3) + LATE_COMMIT_WINDOW);
        assert_eq!((position.query_after(), position.recent.len()), (5, 0));
        assert!(!position.accept(4, t0 + LATE_COMMIT_WINDOW * 2), "too late: taken as never");
    }
}
