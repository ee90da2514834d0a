//! Rendering a handler's answer.

use serde::Serialize;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::Reply;

use crate::error::ApiResult;

/// `value` as JSON with `status`.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    warp::reply::with_status(warp::reply::json(value), status).into_response()
}

/// 200 with `value` as JSON.
pub fn ok<T: Serialize>(value: &T) -> ApiResult {
    Ok(json(StatusCode::OK, value))
}

/// 201 with `value` as JSON.
pub fn created<T: Serialize>(value: &T) -> ApiResult {
    Ok(json(StatusCode::CREATED, value))
}

/// 201 when `created_now`, else 200 (an update, or the retry of an earlier request).
pub fn created_or_ok<T: Serialize>(created_now: bool, value: &T) -> ApiResult {
    Ok(json(if created_now { StatusCode::CREATED } else { StatusCode::OK }, value))
}
