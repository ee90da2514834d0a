//! The throttling rule: a few free failures, then a growing delay before each further attempt.
//!
//! A counter belongs to one key (one email from one client, one client...). Each attempt is
//! counted *before* it is judged (so that a burst of concurrent guesses cannot all slip in
//! while the first is being checked); a success gives its attempt back. After `free`
//! failures, the next attempt must wait `base`, the one after `2 x base`, then `4 x base`...
//! up to `cap`. Nothing is ever locked: the wait only grows with the failures of the key
//! itself, and a counter is forgotten `forget_after` past the end of its last wait.
//!
//! Pure: the store keeps the counters (shared by every server instance) and asks this rule.

use std::time::Duration;

/// The state of one key: how many attempts count against it and when the last one was made
/// (milliseconds since the Unix epoch: one clock for every instance, the wall clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    pub failures: u32,
    pub last_ms: i64,
}

/// What to do with an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Go ahead; the counter becomes this (the attempt is counted).
    Go(Counter),
    /// Refused: try again after this long. The counter is unchanged (a refused attempt does
    /// not make the wait longer, so a client can never wait itself out of reach).
    Wait(Duration),
}

/// One throttling rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Failures allowed without any delay.
    pub free: u32,
    /// The first delay, doubled with each further failure.
    pub base: Duration,
    /// The longest delay.
    pub cap: Duration,
    /// A counter is forgotten this long after its last wait ended.
    pub forget_after: Duration,
}

impl Backoff {
    /// The wait before the next attempt once `failures` are counted: none below `free`, then
    /// `base x 2^(failures - free)`, at most `cap`.
    pub fn delay_after(&self, failures: u32) -> Duration {
        let Some(doublings) = failures.checked_sub(self.free) else { return Duration::ZERO };
        let factor = 1u32.checked_shl(doublings.min(31)).unwrap_or(u32::MAX);
        self.base.checked_mul(factor).unwrap_or(Duration::MAX).min(self.cap)
    }

    /// When the counter may be dropped (milliseconds since the epoch): `forget_after` after
    /// the end of its wait.
    pub fn expires_ms(&self, counter: &Counter) -> i64 {
        let keep = self.delay_after(counter.failures).saturating_add(self.forget_after);
        counter.last_ms.saturating_add(millis(keep))
    }

    /// Judges an attempt made at `now_ms` against the key's counter (`None`: no counter yet).
    pub fn attempt(&self, current: Option<Counter>, now_ms: i64) -> Verdict {
        let current = current.filter(|counter| now_ms < self.expires_ms(counter));
        let Some(counter) = current else { return Verdict::Go(Counter { failures: 1, last_ms: now_ms }) };
        let delay = self.delay_after(counter.failures);
        let allowed_at = counter.last_ms.saturating_add(millis(delay));
        // Without a delay there is nothing to wait for, even when this attempt's clock reads a
        // little earlier than the last one's (concurrent requests, another instance).
        if !delay.is_zero() && now_ms < allowed_at {
            // `allowed_at - now_ms` is positive here.
            return Verdict::Wait(Duration::from_millis(allowed_at.abs_diff(now_ms)));
        }
        Verdict::Go(Counter { failures: counter.failures.saturating_add(1), last_ms: now_ms.max(counter.last_ms) })
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Whole seconds to announce in `Retry-After`: rounded up, at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const RULE: Backoff = Backoff {
        free: 3,
        base: Duration::from_secs(1),
        cap: Duration::from_secs(60),
        forget_after: Duration::from_secs(900),
    };

    fn go(verdict: Verdict) -> Counter {
        match verdict {
            Verdict::Go(counter) => counter,
            Verdict::Wait(wait) => panic!("refused for {wait:?}"),
        }
    }

    #[test]
    fn free_failures_then_doubling_delays_up_to_the_cap() {
        let delays: Vec<u64> = (0..12).map(|failures| RULE.delay_after(failures).as_secs()).collect();
        assert_eq!(delays, [0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(RULE.delay_after(u32::MAX), RULE.cap, "no overflow");
    }

    #[test]
    fn attempts_wait_for_their_delay_and_the_counter_is_forgotten() {
        let mut counter = None;
        let mut now = 1_000_000;
        for _ in 0..3 {
            counter = Some(go(RULE.attempt(counter, now)));
        }
        // Three failures counted: the fourth attempt must wait a second.
        assert_eq!(RULE.attempt(counter, now + 10), Verdict::Wait(Duration::from_millis(990)));
        now += 1_000;
        counter = Some(go(RULE.attempt(counter, now)));
        assert_eq!(counter.unwrap().failures, 4);
        assert_eq!(RULE.attempt(counter, now + 1_999), Verdict::Wait(Duration::from_millis(1)));
        // Refusals do not lengthen the wait.
        assert_eq!(RULE.attempt(counter, now + 1_999), Verdict::Wait(Duration::from_millis(1)));
        let expires = RULE.expires_ms(&counter.unwrap());
        assert_eq!(expires, now + 2_000 + 900_000);
        assert_eq!(go(RULE.attempt(counter, expires)).failures, 1, "a forgotten counter starts again");
    }

    /// Concurrent attempts judge with clocks read a moment apart: an earlier clock than the
    /// counter's is no reason to wait while attempts are free.
    #[test]
    fn free_attempts_never_wait_for_a_later_clock() {
        let counter = Some(Counter { failures: 1, last_ms: 1_000 });
        assert_eq!(RULE.attempt(counter, 990), Verdict::Go(Counter { failures: 2, last_ms: 1_000 }));
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1_001)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(4)), 4);
    }

    proptest! {
        /// Whatever the rule and the history: a wait never exceeds the cap, delays never shrink
        /// as failures grow, and the free failures are never refused.
        #[test]
        fn waits_are_bounded_and_monotonic(
            free in 0u32..20, base_ms in 1u64..10_000, cap_ms in 1u64..10_000_000,
            failures in 0u32..200, gap_ms in 0i64..100_000_000,
        ) {
            let rule = Backoff {
                free,
                base: Duration::from_millis(base_ms),
                cap: Duration::from_millis(cap_ms),
                forget_after: Duration::from_secs(60),
            };
            prop_assert!(rule.delay_after(failures) <= rule.cap);
            prop_assert!(rule.delay_after(failures) <= rule.delay_after(failures.saturating_add(1)));
            let counter = Counter { failures, last_ms: 0 };
            match rule.attempt(Some(counter), gap_ms) {
                Verdict::Wait(wait) => {
                    prop_assert!(failures >= free);
                    prop_assert!(wait <= rule.cap);
                    prop_assert!(gap_ms + i64::try_from(wait.as_millis()).unwrap() == i64::try_from(rule.delay_after(failures).as_millis()).unwrap());
                }
                Verdict::Go(next) => {
                    prop_assert_eq!(next.last_ms, gap_ms.max(0));
                    prop_assert!(next.failures == failures + 1 || next.failures == 1);
                }
            }
        }
    }
}
