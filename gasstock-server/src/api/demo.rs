//! A small page, served by the server itself, that shows the signed-in user's live
//! notifications in a browser: it signs in, asks for a stream ticket and opens the stream with
//! `EventSource` (`scripts/browser-test.sh` drives it in headless Chromium in CI).

use std::sync::LazyLock;

use gasstock_core::notifications::EVENT_TYPES;
use warp::http::header::CACHE_CONTROL;
use warp::http::HeaderValue;
use warp::Reply;

use crate::endpoint::Endpoint;
use crate::error::ApiResult;

pub fn endpoints() -> Vec<Endpoint> {
    vec![Endpoint::new(__path_demo_notifications, demo_notifications)]
}

/// The page, with the notification types it listens to written in by the server (so that it
/// never misses a type added later).
static PAGE: LazyLock<String> = LazyLock::new(|| {
    let types = serde_json::to_string(EVENT_TYPES).unwrap_or_else(|_| "[]".into());
    include_str!("demo_notifications.html").replace("/*EVENT_TYPES*/[]", &types)
});

/// A demo page: sign in, and watch your notifications arrive live (a stream ticket and
/// `EventSource`).
#[utoipa::path(get, path = "/demo/notifications", tag = "operations", responses(
    (status = 200, description = "HTML page", content_type = "text/html", body = String),
))]
pub async fn demo_notifications() -> ApiResult {
    let mut response = warp::reply::html(PAGE.as_str()).into_response();
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_listens_to_every_notification_type() {
        assert!(!super::PAGE.contains("/*EVENT_TYPES*/"), "the placeholder is filled");
        for event in gasstock_core::notifications::EVENT_TYPES {
            assert!(super::PAGE.contains(&format!("\"{event}\"")), "{event}");
        }
    }
}
