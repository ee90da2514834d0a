//! A webhook subscription as an admin sends it, checked.

use crate::error::{Error, Result};
use crate::events::EVENT_TYPES;

/// The longest subscribed URL.
const URL_MAX: usize = 2000;

/// Checks a subscription: an http(s) URL with a host, and known event types (or `*`).
pub fn validate_subscription(url: &str, events: &[String]) -> Result<(String, String)> {
    let url = url.trim();
    let parsed = reqwest::Url::parse(url).ok().filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
    if parsed.is_none() || url.len() > URL_MAX {
        return Err(Error::invalid("url", "must be an http:// or https:// URL with a host"));
    }
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
    Ok((url.to_owned(), list.join(",")))
}
