//! A webhook subscription as an admin sends it, checked.

use crate::domain::WebhookTarget;
use crate::error::{Error, Result};
use crate::events::EVENT_TYPES;

/// Checks a subscription: a target URL the webhook rule allows (see
/// [`WebhookTarget::parse`]; `allow_private_host` is the admin's explicit opt-in for a
/// private host), and known event types (or `*`).
pub fn validate_subscription(url: &str, events: &[String], allow_private_host: bool) -> Result<(String, String)> {
    let target = WebhookTarget::parse(url, allow_private_host)?;
    let mut list: Vec<&str> =
        events.iter().flat_map(|e| e.split(',')).map(str::trim).filter(|e| !e.is_empty()).collect();
    if list.is_empty() {
        return Err(Error::invalid(
            "events",
            format!("name at least one event type: {} (or *)", EVENT_TYPES.join(", ")),
        ));
    }
    if let Some(unknown) = list.iter().find(|e| **e != "*" && !EVENT_TYPES.contains(e)) {
        return Err(Error::invalid(
            "events",
            format!("unknown event type '{unknown}': use {} or *", EVENT_TYPES.join(", ")),
        ));
    }
    list.sort_unstable();
    list.dedup();
    Ok((target.as_str().to_owned(), list.join(",")))
}
