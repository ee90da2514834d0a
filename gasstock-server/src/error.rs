//! The JSON error body of docs/api.md, the one mapping from core errors to HTTP statuses, and the
//! one `recover` that renders every warp rejection as that body.

use std::convert::Infallible;

use gasstock_core::Error as CoreError;
use serde::Serialize;
use utoipa::ToSchema;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Rejection, Reply};

/// `{"error": {"code", "message", "details"}}`: the body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable, e.g. `insufficient_stock`, `not_found`, `invalid`, `unauthenticated`.
    #[schema(example = "insufficient_stock")]
    pub code: String,
    /// Human readable.
    pub message: String,
    /// Extra facts about the error (the invalid `field`, the available quantity, ...).
    #[schema(value_type = Object, nullable = true)]
    pub details: Option<serde_json::Value>,
}

/// An error on its way to becoming a response.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Option<serde_json::Value>,
    /// Extra headers (`Retry-After` on 429).
    pub retry_after_secs: Option<u64>,
}

impl warp::reject::Reject for ApiError {}

pub type ApiResult<T = Response> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), details: None, retry_after_secs: None }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }

    pub fn too_many_attempts(retry_after_secs: u64) -> Self {
        let secs = retry_after_secs.max(1);
        ApiError {
            retry_after_secs: Some(secs),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                format!("too many login attempts: try again in {secs} seconds"),
            )
            .with_details(serde_json::json!({ "retry_after_secs": secs }))
        }
    }

    /// 413 for a body over `limit` bytes (from its Content-Length or while reading it).
    pub fn payload_too_large(limit: usize) -> Self {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", format!("request body over {limit} bytes"))
    }

    pub fn internal() -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal server error")
    }
}

/// The one place where a core error becomes an HTTP status (docs/api.md, "Conventions").
impl From<CoreError> for ApiError {
    fn from(err: CoreError) -> Self {
        let code = err.code();
        match err {
            CoreError::NotFound { entity, id } => {
                ApiError::new(StatusCode::NOT_FOUND, code, format!("{entity} {id} not found"))
                    .with_details(serde_json::json!({ "entity": entity, "id": id }))
            }
            CoreError::Forbidden(message) => ApiError::new(StatusCode::FORBIDDEN, code, message),
            CoreError::Unauthenticated(message) => ApiError::new(StatusCode::UNAUTHORIZED, code, message),
            CoreError::Conflict { code, message, details } => {
                ApiError { details, ..ApiError::new(StatusCode::CONFLICT, code, message) }
            }
            CoreError::Invalid { field, message } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, format!("{field}: {message}"))
                    .with_details(serde_json::json!({ "field": field }))
            }
            CoreError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                ApiError::internal()
            }
        }
    }
}

impl ApiError {
    /// The JSON error body, serialized.
    pub fn body_json(&self) -> Vec<u8> {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message.clone(),
                details: self.details.clone(),
            },
        };
        serde_json::to_vec(&body).unwrap_or_default()
    }

    /// 408 for a body that did not arrive within the body read timeout.
    pub fn body_timeout() -> Self {
        ApiError::new(StatusCode::REQUEST_TIMEOUT, "request_timeout", "the request body did not arrive in time")
    }
}

impl Reply for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail { code: self.code.to_owned(), message: self.message, details: self.details },
        };
        let mut response = warp::reply::with_status(warp::reply::json(&body), self.status).into_response();
        if matches!(self.status, StatusCode::PAYLOAD_TOO_LARGE | StatusCode::REQUEST_TIMEOUT) {
            // The rest of the body is not read: the connection cannot carry another request.
            response
                .headers_mut()
                .insert(warp::http::header::CONNECTION, warp::http::HeaderValue::from_static("close"));
        }
        if let Some(secs) = self.retry_after_secs {
            response.headers_mut().insert(warp::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

/// Renders a handler's result.
pub fn render(result: ApiResult) -> Response {
    result.unwrap_or_else(Reply::into_response)
}

/// Turns every rejection into the JSON error body; nothing reaches the client as HTML or
/// as an empty body.
///
/// A request is tried against every route, so its rejection gathers one from each: a 400 for a
/// bad header from the route of its method, 405 from the routes of the same path with another
/// method, 404 from all the others. The most specific one answers: the handlers' own errors,
/// then the other 4xx, then 405, then 404 (as warp ranks them).
pub async fn recover(rejection: Rejection) -> Result<Response, Infallible> {
    use warp::reject::{
        InvalidHeader, InvalidQuery, LengthRequired, MethodNotAllowed, MissingHeader, PayloadTooLarge,
        UnsupportedMediaType,
    };
    let error = if let Some(error) = rejection.find::<ApiError>() {
        error.clone()
    } else if rejection.find::<PayloadTooLarge>().is_some() {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "request body too large")
    } else if rejection.find::<UnsupportedMediaType>().is_some() {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send Content-Type: application/json",
        )
    } else if rejection.find::<LengthRequired>().is_some() {
        ApiError::new(StatusCode::LENGTH_REQUIRED, "length_required", "a Content-Length header is required")
    } else if let Some(header) = rejection.find::<InvalidHeader>() {
        ApiError::bad_request(
            "invalid_header",
            format!("invalid header {} (its value must be visible ASCII)", header.name()),
        )
        .with_details(serde_json::json!({ "header": header.name() }))
    } else if let Some(header) = rejection.find::<MissingHeader>() {
        ApiError::bad_request("missing_header", format!("missing header {}", header.name()))
    } else if rejection.find::<InvalidQuery>().is_some() {
        ApiError::bad_request("invalid_query", "invalid query string")
    } else if let Some(err) = rejection.find::<warp::filters::body::BodyDeserializeError>() {
        ApiError::bad_request("invalid_body", err.to_string())
    } else if rejection.find::<MethodNotAllowed>().is_some() {
        // routes.rs adds the `Allow` header, which needs the path.
        ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this endpoint does not accept this method")
    } else if rejection.is_not_found() {
        ApiError::new(StatusCode::NOT_FOUND, "route_not_found", "no such endpoint: see /api/v1/openapi.json")
    } else {
        tracing::error!(?rejection, "unhandled rejection");
        ApiError::internal()
    };
    Ok(error.into_response())
}
