//! Throttling counters (table `throttle_counters`), shared by every instance on the database.
//!
//! The rule is `domain::throttle::Backoff`, computed here in Rust inside one unit of work; the
//! row is then written only if nobody changed it meanwhile (compare-and-swap on its old values,
//! one statement, the same text on both backends), and the unit is tried again otherwise. So
//! two instances judging the same key at once never both spend its last free attempt.

use std::time::Duration;

use super::db::Sql;
use super::Store;
use crate::domain::{Backoff, Counter, Verdict};
use crate::error::Result;

/// Rounds of read-and-swap before an attempt on a key that keeps changing under it is refused
/// (only a flood of concurrent attempts on one key gets there).
const MAX_ROUNDS: usize = 20;

impl Store {
    /// Judges and, when allowed, counts an attempt on `key` now (milliseconds since the epoch,
    /// from `now_ms`). `Verdict::Go` holds the counter as written.
    /// `now_ms` reads the clock (again for each round).
    pub async fn throttle_attempt(&self, key: &str, rule: &Backoff, now_ms: impl Fn() -> i64) -> Result<Verdict> {
        for _ in 0..MAX_ROUNDS {
            let (now_ms, rule, key) = (now_ms(), *rule, key.to_owned());
            // The read and the swap are one unit of work (one job, one transaction); the swap's
            // condition still guards against another instance's transaction in between.
            let judged = self
                .write(move |mut conn| {
                    Box::pin(async move {
                        let read =
                            Sql::new("SELECT failures, last_ms FROM throttle_counters WHERE key = $1").bind(&key);
                        let current: Option<(i64, i64)> = conn.fetch_optional(read).await?;
                        let current = current.map(|(failures, last_ms)| Counter {
                            failures: u32::try_from(failures).unwrap_or(0),
                            last_ms,
                        });
                        let next = match rule.attempt(current, now_ms) {
                            Verdict::Go(next) => next,
                            wait => return Ok(Some(wait)),
                        };
                        let (failures, last_ms, expires_ms) =
                            (i64::from(next.failures), next.last_ms, rule.expires_ms(&next));
                        let written = match current {
                            None => {
                                // A new key: the moment to forget the expired ones (each is
                                // deleted once, through the index on `expires_ms`).
                                let forget = Sql::new("DELETE FROM throttle_counters WHERE expires_ms <= $1");
                                conn.execute(forget.bind(now_ms)).await?;
                                let insert = Sql::new(
                                    "INSERT INTO throttle_counters (key, failures, last_ms, expires_ms) \
                                     VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING",
                                );
                                conn.execute(insert.bind(key).bind(failures).bind(last_ms).bind(expires_ms)).await?
                            }
                            Some(old) => {
                                let swap = Sql::new(
                                    "UPDATE throttle_counters SET failures = $2, last_ms = $3, expires_ms = $4 \
                                     WHERE key = $1 AND failures = $5 AND last_ms = $6",
                                );
                                let swap = swap.bind(key).bind(failures).bind(last_ms).bind(expires_ms);
                                conn.execute(swap.bind(i64::from(old.failures)).bind(old.last_ms)).await?
                            }
                        };
                        Ok((written == 1).then_some(Verdict::Go(next)))
                    })
                })
                .await?;
            if let Some(verdict) = judged {
                return Ok(verdict);
            }
        }
        Ok(Verdict::Wait(Duration::from_secs(1)))
    }

    /// Gives one counted attempt of `key` back (it succeeded, or was never judged).
    pub async fn throttle_refund(&self, key: &str) -> Result<()> {
        let sql = Sql::new("UPDATE throttle_counters SET failures = failures - 1 WHERE key = $1 AND failures > 0");
        self.write_execute(sql.bind(key)).await.map(|_| ())
    }

    /// Forgets `key`'s counter (a successful sign-in clears that client's failures for that email).
    pub async fn throttle_forget(&self, key: &str) -> Result<()> {
        self.write_execute(Sql::new("DELETE FROM throttle_counters WHERE key = $1").bind(key)).await.map(|_| ())
    }
}
