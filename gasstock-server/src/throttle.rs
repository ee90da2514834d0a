//! Throttling at the HTTP layer: who the client is, and the 429 of a throttled attempt.
//!
//! The rule and the counters are the core's (`gasstock_core::throttle`, shared by every
//! instance through the database); this module only names the client and renders the answer.

use std::net::IpAddr;

use gasstock_core::throttle::Wait;
use warp::filters::BoxedFilter;
use warp::http::HeaderMap;
use warp::Filter;

use crate::client_ip::throttle_key;
use crate::error::ApiError;
use crate::extract::{ClientAddr, FromRequest, RouteContext};

/// The client a request is throttled as: the socket peer, or what the trusted proxies in
/// front of it saw (`--trusted-proxies`, see `client_ip`).
#[derive(Debug, Clone)]
pub struct ClientKey(pub String);

impl FromRequest for ClientKey {
    fn filter(route: &RouteContext<'_>) -> BoxedFilter<(Self,)> {
        let state = route.state.clone();
        ClientAddr::filter(route)
            .and(warp::header::headers_cloned())
            .map(move |ClientAddr(peer): ClientAddr, headers: HeaderMap| {
                // A value that is not text cannot be an address list: ignored.
                let forwarded: Vec<&str> =
                    headers.get_all("x-forwarded-for").iter().filter_map(|value| value.to_str().ok()).collect();
                let ip: Option<IpAddr> = state.trusted_proxies.client(peer.map(|addr| addr.ip()), &forwarded);
                ClientKey(throttle_key(ip))
            })
            .boxed()
    }
}

/// 429 `too_many_attempts` with `Retry-After` and `details.retry_after_secs`; `what` names the
/// throttled action in the message ("login", "sign-up").
pub fn too_many_attempts(wait: Wait, what: &str) -> ApiError {
    let secs = wait.retry_after_secs();
    ApiError {
        message: format!("too many {what} attempts: try again in {secs} seconds"),
        ..ApiError::too_many_attempts(secs)
    }
}
