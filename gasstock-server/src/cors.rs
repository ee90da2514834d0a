//! Cross-origin requests from web pages (`--cors-origins`): a preflight (`OPTIONS` with
//! `Origin` and `Access-Control-Request-Method`) from an allowed origin is answered 204 with
//! the methods and headers the API takes; from another origin, 403 `cors_origin_refused`.
//! Every answer to an allowed origin (errors included: the wrapper sits outside the error
//! rendering) carries `Access-Control-Allow-Origin` and the headers a page may read. A
//! request from a refused origin is served as before, without those headers, so the browser
//! keeps its answer from the page. Tokens travel in `Authorization`, never in cookies, so no
//! `Allow-Credentials`.

use std::convert::Infallible;
use std::sync::Arc;

use warp::http::{HeaderMap, HeaderValue, StatusCode};
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::error::ApiError;

/// Methods the API serves.
const METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
/// Request headers the API reads.
const ALLOW_HEADERS: &str = "authorization, content-type, idempotency-key, last-event-id, x-request-id";
/// Response headers a page may read (beyond the CORS-safelisted ones).
const EXPOSE_HEADERS: &str = "x-request-id, retry-after, allow, location";
/// How long a browser may cache a preflight answer, in seconds.
const MAX_AGE: &str = "600";

/// The allowed origins, exact (`https://shop.example`, `http://localhost:5173`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsOrigins(pub Vec<String>);

impl std::str::FromStr for CorsOrigins {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        if matches!(text.trim(), "" | "none") {
            return Ok(CorsOrigins::default());
        }
        let mut origins = Vec::new();
        for origin in text.split(',').map(str::trim).filter(|origin| !origin.is_empty()) {
            let origin = origin.trim_end_matches('/').to_ascii_lowercase();
            let rest = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
            let valid = rest.is_some_and(|host| !host.is_empty() && !host.contains(['/', '?', '#', '*', '@', ' ']));
            if !valid {
                return Err(format!(
                    "'{origin}' is not an origin: write scheme://host[:port], e.g. https://shop.example"
                ));
            }
            origins.push(origin);
        }
        Ok(CorsOrigins(origins))
    }
}

impl CorsOrigins {
    pub fn allows(&self, origin: &str) -> bool {
        self.0.iter().any(|allowed| allowed.eq_ignore_ascii_case(origin))
    }
}

/// `routes` with CORS for `origins` (no preflight answer and no header when there are none).
pub fn wrap<F>(
    origins: CorsOrigins,
    routes: F,
) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static
where
    F: Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static,
{
    let origins = Arc::new(origins);
    let (enabled, preflight_origins) = (!origins.0.is_empty(), origins.clone());
    let preflight = warp::options()
        .and(warp::header::<String>("origin"))
        .and(warp::header::<String>("access-control-request-method"))
        .and_then(move |origin: String, _method: String| {
            let answer = enabled.then(|| preflight_answer(&preflight_origins, &origin));
            async move { answer.ok_or_else(warp::reject::not_found) }
        });
    warp::header::optional::<String>("origin")
        .and(preflight.or(routes).unify())
        .map(move |origin: Option<String>, mut response: Response| {
            add_headers(&origins, origin.as_deref(), response.headers_mut());
            response
        })
        .recover(|_| async { Ok::<Response, Infallible>(unreachable_answer()) })
        .unify()
}

/// The routes never reject (they recover every rejection); a rejected `Origin` header (not
/// text) is the only way here.
fn unreachable_answer() -> Response {
    ApiError::bad_request("invalid_header", "the Origin header is not valid text").into_response()
}

fn preflight_answer(origins: &CorsOrigins, origin: &str) -> Response {
    if !origins.allows(origin) {
        return ApiError::new(StatusCode::FORBIDDEN, "cors_origin_refused", "this origin may not call the API")
            .into_response();
    }
    let mut response = warp::reply::with_status(warp::reply(), StatusCode::NO_CONTENT).into_response();
    let headers = response.headers_mut();
    headers.insert("access-control-allow-methods", HeaderValue::from_static(METHODS));
    headers.insert("access-control-allow-headers", HeaderValue::from_static(ALLOW_HEADERS));
    headers.insert("access-control-max-age", HeaderValue::from_static(MAX_AGE));
    response
}

fn add_headers(origins: &CorsOrigins, origin: Option<&str>, headers: &mut HeaderMap) {
    if origins.0.is_empty() {
        return;
    }
    // Caches keep answers per origin: another origin's request gets another answer.
    headers.append("vary", HeaderValue::from_static("origin"));
    let Some(origin) = origin.filter(|origin| origins.allows(origin)) else { return };
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert("access-control-allow-origin", value);
        headers.insert("access-control-expose-headers", HeaderValue::from_static(EXPOSE_HEADERS));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_parsed_strictly() {
        assert_eq!("none".parse::<CorsOrigins>().unwrap(), CorsOrigins::default());
        let origins: CorsOrigins = "https://shop.example, http://localhost:5173/".parse().unwrap();
        assert_eq!(origins.0, ["https://shop.example", "http://localhost:5173"]);
        assert!(origins.allows("https://SHOP.example") && !origins.allows("https://evil.example"));
        for bad in ["*", "shop.example", "https://shop.example/path", "ftp://x", "https://"] {
            assert!(bad.parse::<CorsOrigins>().is_err(), "{bad}");
        }
    }
}
