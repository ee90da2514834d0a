//! What a handler takes: each argument type says how it comes out of the request (the
//! caller's session, a JSON body, the query string, the `{id}` of the path...), so that a
//! handler's signature is its wiring (`endpoint.rs` builds the route from it).

use std::net::SocketAddr;

use futures::TryStreamExt;
use gasstock_core::commands::PageRequest;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use utoipa::IntoParams;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::{Buf, Filter, Rejection};

use crate::auth::{authenticate_cached, Session};
use crate::error::{ApiError, ApiResult};
use crate::state::State;

/// What an extractor may know about the route it serves.
#[derive(Debug)]
pub struct RouteContext<'a> {
    pub state: &'a State,
    /// The route's path template, e.g. `/api/v1/orders/{id}`.
    pub path: &'a str,
}

/// A handler argument taken from the request. Arguments are taken in the order of the
/// handler's parameters: put [`Session`] before a body, so that a caller without a valid token
/// gets 401 whatever it sent.
pub trait FromRequest: Sized + Send + 'static {
    fn filter(route: &RouteContext<'_>) -> BoxedFilter<(Self,)>;

    /// The error statuses taking this argument may answer with, and why: the OpenAPI
    /// document adds them to every operation that takes it.
    fn responses() -> &'static [(u16, &'static str)] {
        &[]
    }
}

/// The server's shared state.
impl FromRequest for State {
    fn filter(route: &RouteContext<'_>) -> BoxedFilter<(Self,)> {
        let state = route.state.clone();
        warp::any().map(move || state.clone()).boxed()
    }
}

/// The caller, from `Authorization: Bearer`; 401 when missing or invalid.
impl FromRequest for Session {
    fn filter(route: &RouteContext<'_>) -> BoxedFilter<(Self,)> {
        let state = route.state.clone();
        warp::header::optional::<String>("authorization")
            .and_then(move |header: Option<String>| {
                let state = state.clone();
                async move {
                    authenticate_cached(&state.core, &state.keys, &state.auth_cache, header.as_deref())
                        .await
                        .map_err(warp::reject::custom)
                }
            })
            .boxed()
    }

    fn responses() -> &'static [(u16, &'static str)] {
        &[
            (400, "a header that is not visible ASCII text (`invalid_header`)"),
            (401, "no valid bearer token (`unauthenticated`)"),
        ]
    }
}

/// The `{id}` segment of the path (the route matches only when it is an integer).
#[derive(Debug, Clone, Copy)]
pub struct Id(pub i64);

impl FromRequest for Id {
    fn filter(route: &RouteContext<'_>) -> BoxedFilter<(Self,)> {
        let index = route.path.split('/').position(|segment| segment == "{id}");
        let index = index.unwrap_or_else(|| panic!("{} has no {{id}} segment", route.path));
        warp::path::full()
            .and_then(move |path: warp::path::FullPath| async move {
                let id = path.as_str().split('/').nth(index).and_then(|segment| segment.parse().ok());
                id.map(Id).ok_or_else(warp::reject::not_found)
            })
            .boxed()
    }

    fn responses() -> &'static [(u16, &'static str)] {
        &[(404, "no such id, or one the caller may not see; a segment that is not an integer is no route")]
    }
}

/// The client's address (`None` when unknown).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<SocketAddr>);

impl FromRequest for ClientAddr {
    fn filter(_: &RouteContext<'_>) -> BoxedFilter<(Self,)> {
        // Put there by `serve` (warp's own `addr::remote` is only filled by `warp::serve`).
        warp::ext::optional::<crate::serve::PeerAddr>()
            .map(|peer: Option<crate::serve::PeerAddr>| ClientAddr(peer.map(|p| p.0)))
            .boxed()
    }
}

/// A JSON body of at most the configured body limit: 413 above, 415 for another content type,
/// 400 when empty, not JSON, or not of the expected shape.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + Send + 'static> FromRequest for Json<T> {
    fn filter(route: &RouteContext<'_>) -> BoxedFilter<(Self,)> {
        json_body(route.state.body_limit).map(Json).boxed()
    }

    fn responses() -> &'static [(u16, &'static str)] {
        &[
            (400, "not JSON, or not of the schema's shape: wrong types, missing or unknown fields (`malformed_json`, `invalid_body`, `missing_body`)"),
            (408, "the body did not arrive within the body read timeout (`request_timeout`)"),
            (413, "a body over the body limit (`payload_too_large`)"),
            (415, "a Content-Type other than JSON (`unsupported_media_type`)"),
            (422, "a value outside the schema's bounds or rules (`invalid`, with `details.field`)"),
        ]
    }
}

/// The query string as `T`; 400 on unknown parameters or malformed values.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + Send + 'static> FromRequest for Query<T> {
    fn filter(_: &RouteContext<'_>) -> BoxedFilter<(Self,)> {
        warp::query::raw()
            .or(warp::any().map(String::new))
            .unify()
            .and_then(|raw: String| async move {
                serde_urlencoded::from_str::<T>(&raw).map(Query).map_err(|err| {
                    warp::reject::custom(ApiError::bad_request("invalid_query", format!("invalid query string: {err}")))
                })
            })
            .boxed()
    }

    fn responses() -> &'static [(u16, &'static str)] {
        &[
            (400, "an unknown, repeated or malformed query parameter (`invalid_query`)"),
            (422, "a parameter outside its bounds, e.g. `page` or `per_page` (`invalid`, with `details.field`)"),
        ]
    }
}

/// An optional request header (for extractors of one header, e.g. `Idempotency-Key`).
pub fn optional_header(name: &'static str) -> BoxedFilter<(Option<String>,)> {
    warp::header::optional::<String>(name).boxed()
}

/// `?page=&per_page=`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// From 1 (default 1).
    #[serde(default, deserialize_with = "whole_in_query")]
    #[param(minimum = 1, maximum = 10_000_000)]
    pub page: Option<i64>,
    /// From 1 to 100 (default 20).
    #[serde(default, deserialize_with = "whole_in_query")]
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

/// A `?status=` filter: absent is no filter; anything else must name a status (an empty value
/// too), else 400 `invalid_query` with `details.field` `status`.
pub fn status_filter<S>(text: Option<&str>) -> ApiResult<Option<S>>
where
    S: std::str::FromStr,
    S::Err: std::fmt::Display,
{
    text.map(|text| {
        text.parse().map_err(|err: S::Err| {
            ApiError::bad_request("invalid_query", err.to_string())
                .with_details(serde_json::json!({ "field": "status" }))
        })
    })
    .transpose()
}

/// An integer query parameter; `3.0` is 3, as in JSON Schema (`#[serde(default, deserialize_with)]`).
pub fn whole_in_query<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    let text: Option<String> = Option::deserialize(deserializer)?;
    text.map(|text| {
        gasstock_core::commands::number::parse_whole(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("'{text}' is not a whole number")))
    })
    .transpose()
}

impl PageQuery {
    pub fn page(&self) -> ApiResult<PageRequest> {
        Ok(PageRequest::new(self.page, self.per_page)?)
    }
}

fn json_body<T: DeserializeOwned + Send + 'static>(
    limit: usize,
) -> impl Filter<Extract = (T,), Error = Rejection> + Clone {
    warp::header::optional::<String>("content-type")
        .and(warp::header::optional::<u64>("content-length"))
        .and_then(move |content_type: Option<String>, length: Option<u64>| async move {
            if let Some(content_type) = content_type {
                let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
                if essence != "application/json" && !(essence.starts_with("application/") && essence.ends_with("+json"))
                {
                    return Err(warp::reject::custom(ApiError::new(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "unsupported_media_type",
                        format!("expected Content-Type: application/json, got {essence}"),
                    )));
                }
            }
            if length.is_some_and(|length| length > limit as u64) {
                return Err(warp::reject::custom(ApiError::payload_too_large(limit)));
            }
            Ok::<_, Rejection>(())
        })
        .untuple_one()
        .and(warp::body::stream())
        .and_then(move |stream| async move {
            let body = read_body(stream, limit).await.map_err(warp::reject::custom)?;
            parse_json::<T>(&body).map_err(warp::reject::custom)
        })
}

/// The whole body, or 413 as soon as it grows past `limit` (also without a Content-Length).
async fn read_body<S, B>(stream: S, limit: usize) -> Result<Vec<u8>, ApiError>
where
    S: futures::Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let mut body = Vec::new();
    let mut stream = std::pin::pin!(stream);
    while let Some(mut chunk) = stream.try_next().await.map_err(|err| {
        if is_body_timeout(&err) {
            ApiError::body_timeout()
        } else {
            ApiError::bad_request("body_read_error", format!("cannot read the body: {err}"))
        }
    })? {
        if body.len() + chunk.remaining() > limit {
            return Err(ApiError::payload_too_large(limit));
        }
        while chunk.has_remaining() {
            let bytes = chunk.chunk();
            body.extend_from_slice(bytes);
            let n = bytes.len();
            chunk.advance(n);
        }
    }
    Ok(body)
}

/// Whether reading the body failed on `serve`'s body read timeout.
fn is_body_timeout(err: &warp::Error) -> bool {
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if cause.is::<crate::serve::BodyTimeout>() {
            return true;
        }
        source = cause.source();
    }
    false
}

fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("missing_body", "a JSON request body is required"));
    }
    serde_json::from_slice(body).map_err(|err| match err.classify() {
        serde_json::error::Category::Data => {
            ApiError::bad_request("invalid_body", format!("the body does not have the expected shape: {err}"))
        }
        _ => ApiError::bad_request("malformed_json", format!("the body is not valid JSON: {err}")),
    })
}
