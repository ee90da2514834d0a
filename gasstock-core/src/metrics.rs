//! What the core counts for operators, through the `metrics` facade: a no-op unless the
//! process installed a recorder (the server does when `--metrics-bind` is set). The series
//! are documented in the README ("Operating gasstock"); the server's `metrics` module names
//! the gauges it samples at each scrape.

/// Status changes recorded, by entity and statuses.
pub const STATUS_CHANGES: &str = "gasstock_status_transitions_total";
/// Webhook delivery attempts recorded by this process's worker, by outcome.
pub const WEBHOOK_ATTEMPTS: &str = "gasstock_webhook_attempts_total";
/// Sign-in and sign-up attempts answered "wait" (429), by rule.
pub const THROTTLE_HITS: &str = "gasstock_throttle_hits_total";

/// A status event was written (inside its unit of work: a unit that then rolls back still
/// counted, which only a failed commit does).
pub(crate) fn status_changed(entity: &'static str, from: Option<&'static str>, to: &'static str) {
    metrics::counter!(STATUS_CHANGES, "entity" => entity, "from" => from.unwrap_or("none"), "to" => to).increment(1);
}

/// A webhook attempt was recorded: `sent` (delivered), `failed` (retried later) or `dead`.
pub(crate) fn webhook_attempt(outcome: &'static str) {
    metrics::counter!(WEBHOOK_ATTEMPTS, "outcome" => outcome).increment(1);
}

/// A throttle rule made a client wait: `login` (email and client), `login_client` (the
/// client, whatever the email) or `register`.
pub(crate) fn throttle_hit(rule: &'static str) {
    metrics::counter!(THROTTLE_HITS, "rule" => rule).increment(1);
}
