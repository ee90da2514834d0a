//! Login throttling: a fixed window of attempts per email and per client address.
//!
//! The counters live in this process: with several instances behind a load balancer, each
//! one allows its own share (the limit holds per instance).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counters are pruned when a map grows past this many keys.
const PRUNE_AT: usize = 10_000;

#[derive(Debug)]
struct Window {
    started: Instant,
    attempts: u32,
}

#[derive(Debug)]
struct Counters<K> {
    limit: u32,
    map: Mutex<HashMap<K, Window>>,
}

impl<K: Eq + Hash + Clone> Counters<K> {
    fn new(limit: u32) -> Self {
        Counters { limit, map: Mutex::new(HashMap::new()) }
    }

    /// Seconds until `key` may try again, if it is over its limit now.
    fn blocked_for(&self, key: &K, window: Duration, now: Instant) -> Option<u64> {
        let map = self.map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = map.get(key)?;
        let elapsed = now.duration_since(entry.started);
        (elapsed < window && entry.attempts >= self.limit).then(|| (window - elapsed).as_secs().max(1))
    }

    fn add(&self, key: K, window: Duration, now: Instant) {
        let mut map = self.map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if map.len() >= PRUNE_AT {
            map.retain(|_, entry| now.duration_since(entry.started) < window);
        }
        let entry = map.entry(key).or_insert(Window { started: now, attempts: 0 });
        if now.duration_since(entry.started) >= window {
            *entry = Window { started: now, attempts: 0 };
        }
        entry.attempts = entry.attempts.saturating_add(1);
    }

    fn undo(&self, key: &K) {
        let mut map = self.map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(entry) = map.get_mut(key) {
            entry.attempts = entry.attempts.saturating_sub(1);
        }
    }

    fn clear(&self, key: &K) {
        self.map.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(key);
    }
}

/// Counts login attempts. Each attempt is counted before the password is checked (so that
/// concurrent guesses cannot slip past the limit); a success gives its attempt back.
#[derive(Debug)]
pub struct LoginThrottle {
    window: Duration,
    by_email: Counters<String>,
    by_client: Counters<IpAddr>,
}

impl LoginThrottle {
    pub fn new(per_email: u32, per_client: u32, window: Duration) -> Self {
        LoginThrottle { window, by_email: Counters::new(per_email), by_client: Counters::new(per_client) }
    }

    /// Emails are at most 254 characters: a longer "email" is keyed by its first 254, so
    /// that huge bodies cannot make huge keys.
    fn email_key(email: &str) -> String {
        email.trim().chars().take(254).collect::<String>().to_lowercase()
    }

    /// `Err(seconds)` when this email or client must wait; otherwise counts the attempt.
    pub fn begin(&self, email: &str, client: Option<IpAddr>) -> Result<(), u64> {
        let now = Instant::now();
        let email = Self::email_key(email);
        let blocked = [
            self.by_email.blocked_for(&email, self.window, now),
            client.and_then(|ip| self.by_client.blocked_for(&ip, self.window, now)),
        ];
        if let Some(wait) = blocked.into_iter().flatten().max() {
            return Err(wait);
        }
        self.by_email.add(email, self.window, now);
        if let Some(ip) = client {
            self.by_client.add(ip, self.window, now);
        }
        Ok(())
    }

    /// A successful login: the email's failures are forgotten, the client's attempt returned.
    pub fn succeeded(&self, email: &str, client: Option<IpAddr>) {
        self.by_email.clear(&Self::email_key(email));
        if let Some(ip) = client {
            self.by_client.undo(&ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_email_and_per_client() {
        let throttle = LoginThrottle::new(2, 3, Duration::from_secs(60));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(throttle.begin("a@b.rw", Some(ip)).is_ok());
        assert!(throttle.begin("A@B.rw ", Some(ip)).is_ok());
        assert!(throttle.begin("a@b.rw", Some(ip)).is_err(), "third try for the same email");
        assert!(throttle.begin("c@b.rw", Some(ip)).is_ok(), "another email from the same client");
        assert!(throttle.begin("d@b.rw", Some(ip)).is_err(), "client is over its limit");
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(throttle.begin("d@b.rw", Some(other)).is_ok());
        throttle.succeeded("d@b.rw", Some(other));
        assert!(throttle.begin("d@b.rw", Some(other)).is_ok());
    }

    #[test]
    fn windows_expire() {
        let throttle = LoginThrottle::new(1, 10, Duration::from_millis(0));
        assert!(throttle.begin("a@b.rw", None).is_ok());
        assert!(throttle.begin("a@b.rw", None).is_ok(), "a zero window never blocks");
    }
}
