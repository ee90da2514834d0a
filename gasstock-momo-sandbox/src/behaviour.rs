//! What the sandbox does with a request: the scripted outcomes.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The final status a request reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Successful,
    Failed,
    /// Never decided: stays `PENDING` (an unanswered prompt on the payer's phone).
    Pending,
}

/// How callbacks are sent; MoMo environments differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CallbackMethod {
    Post,
    Put,
}

/// One party's script. JSON field names are those of the `/sandbox/script` endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Behaviour {
    pub outcome: Outcome,
    /// The `reason` of a `FAILED` status.
    pub reason: String,
    /// The status stays `PENDING` this long after the request is taken (a delay).
    pub settle_after_ms: u64,
    /// The first N requests are answered `500` and not taken (a 500 then success).
    pub errors_first: u32,
    /// The first N requests are taken but answered only after `hang_ms` (a timeout: the
    /// client gives up, the money moved anyway).
    pub hang_first: u32,
    pub hang_ms: u64,
    /// Callbacks sent, all at once, when the outcome is reached (with `X-Callback-Url`):
    /// 0 for none, more than 1 for duplicates.
    pub callbacks: u32,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            outcome: Outcome::Successful,
            reason: "NOT_ENOUGH_FUNDS".into(),
            settle_after_ms: 0,
            errors_first: 0,
            hang_first: 0,
            hang_ms: 0,
            callbacks: 1,
        }
    }
}

impl Behaviour {
    /// Taken and `SUCCESSFUL` at once, one callback.
    pub fn success() -> Behaviour {
        Behaviour::default()
    }

    /// Taken and `FAILED` with `reason`.
    pub fn failure(reason: &str) -> Behaviour {
        Behaviour { outcome: Outcome::Failed, reason: reason.into(), ..Behaviour::default() }
    }

    /// Never decided.
    pub fn pending() -> Behaviour {
        Behaviour { outcome: Outcome::Pending, callbacks: 0, ..Behaviour::default() }
    }

    /// `PENDING` for `delay`, then this behaviour's outcome.
    pub fn delayed(self, delay: Duration) -> Behaviour {
        Behaviour { settle_after_ms: delay.as_millis() as u64, ..self }
    }

    /// `500` to the first `count` requests.
    pub fn errors_first(self, count: u32) -> Behaviour {
        Behaviour { errors_first: count, ..self }
    }

    /// The first `count` requests are taken, then answered after `hang`.
    pub fn hang_first(self, count: u32, hang: Duration) -> Behaviour {
        Behaviour { hang_first: count, hang_ms: hang.as_millis() as u64, ..self }
    }

    /// `count` callbacks at once when decided.
    pub fn callbacks(self, count: u32) -> Behaviour {
        Behaviour { callbacks: count, ..self }
    }
}
