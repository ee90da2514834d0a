//! Operations: health checks, the OpenAPI document and the page that renders it.

use serde::Serialize;
use utoipa::ToSchema;
use warp::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use warp::http::{HeaderValue, StatusCode};
use warp::Reply;

use crate::endpoint::Endpoint;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::reply::ok;
use crate::state::State;

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(__path_healthz, healthz),
        Endpoint::new(__path_readyz, readyz),
        Endpoint::new(__path_openapi_json, openapi_json),
        Endpoint::new(__path_docs, docs),
    ]
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthStatus {
    /// `ok` or `ready`.
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = HealthStatus)))]
pub async fn healthz() -> ApiResult {
    ok(&HealthStatus { status: "ok" })
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, body = HealthStatus),
    (status = 503, description = "the database does not answer", body = ErrorBody),
))]
pub async fn readyz(state: State) -> ApiResult {
    match state.core.ready().await {
        Ok(()) => ok(&HealthStatus { status: "ready" }),
        Err(err) => {
            tracing::warn!(%err, "not ready");
            Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "the database does not answer"))
        }
    }
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations", responses(
    (status = 200, description = "the OpenAPI 3 document of this API", content_type = "application/json", body = Object),
))]
pub async fn openapi_json(state: State) -> ApiResult {
    let mut response = state.openapi_json.into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

/// A page that renders this document (works offline).
#[utoipa::path(get, path = "/docs", tag = "operations", responses(
    (status = 200, description = "HTML documentation page", content_type = "text/html", body = String),
))]
pub async fn docs() -> ApiResult {
    let mut response = warp::reply::html(DOCS_HTML).into_response();
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// A self-contained page (no CDN, no external file) that fetches the document and lists every
/// operation with its parameters, body and responses.
const DOCS_HTML: &str = include_str!("docs.html");
