//! The routes of API.md, wired to their handlers, plus the request log.

use std::convert::Infallible;
use std::time::Instant;

use futures::TryStreamExt;
use serde::de::DeserializeOwned;
use warp::filters::BoxedFilter;
use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;
use warp::{Buf, Filter, Rejection, Reply};

use crate::auth::Session;
use crate::error::{self, render, ApiError};
use crate::handlers as h;
use crate::notifications as n;
use crate::state::State;

fn with_state(state: &State) -> impl Filter<Extract = (State,), Error = Infallible> + Clone {
    let state = state.clone();
    warp::any().map(move || state.clone())
}

/// The caller's session from `Authorization: Bearer`; 401 when missing or invalid.
fn authenticated(state: &State) -> impl Filter<Extract = (Session,), Error = Rejection> + Clone {
    with_state(state).and(warp::header::optional::<String>("authorization")).and_then(h::session)
}

/// A JSON body of at most `limit` bytes: 413 above, 415 for another content type, 400 when
/// empty, not JSON, or not of the expected shape.
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
            Ok(())
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
    while let Some(mut chunk) = stream
        .try_next()
        .await
        .map_err(|err| ApiError::bad_request("body_read_error", format!("cannot read the body: {err}")))?
    {
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

/// The query string as `T`; 400 on unknown parameters or malformed values.
fn query<T: DeserializeOwned + Send + 'static>() -> impl Filter<Extract = (T,), Error = Rejection> + Clone {
    warp::query::raw().or(warp::any().map(String::new)).unify().and_then(|raw: String| async move {
        serde_urlencoded::from_str::<T>(&raw).map_err(|err| {
            warp::reject::custom(ApiError::bad_request("invalid_query", format!("invalid query string: {err}")))
        })
    })
}

fn idempotency_key() -> impl Filter<Extract = (Option<String>,), Error = Rejection> + Clone {
    warp::header::optional::<String>("idempotency-key")
}

type Route = BoxedFilter<(Response,)>;

/// Every endpoint, each path and method exactly as API.md names them.
pub fn api(state: &State) -> Route {
    let limit = state.body_limit;
    let s = || with_state(state);
    // The handler's state and the caller's session (401 without a valid token).
    let signed_in = || with_state(state).and(authenticated(state));

    let healthz = warp::path!("healthz").and(warp::get()).then(h::healthz).map(render).boxed();
    let readyz = warp::path!("readyz").and(warp::get()).and(s()).then(h::readyz).map(render).boxed();
    let spec = warp::path!("api" / "v1" / "openapi.json").and(warp::get()).map(h::openapi_json).boxed();
    let docs = warp::path!("docs").and(warp::get()).map(h::docs).boxed();

    let register =
        warp::path!("api" / "v1" / "register").and(warp::post()).and(s()).and(json_body(limit)).then(h::register);
    let login = warp::path!("api" / "v1" / "login")
        .and(warp::post())
        .and(s())
        .and(warp::addr::remote())
        .and(json_body(limit))
        .then(h::login);
    let logout = warp::path!("api" / "v1" / "logout").and(warp::post()).and(signed_in()).then(h::logout);

    let gas = warp::path!("api" / "v1" / "gas").and(warp::get()).and(signed_in()).and(query()).then(h::browse_stock);
    let place_order = warp::path!("api" / "v1" / "orders")
        .and(warp::post())
        .and(signed_in())
        .and(idempotency_key())
        .and(json_body(limit))
        .then(h::place_order);
    let my_orders =
        warp::path!("api" / "v1" / "orders").and(warp::get()).and(signed_in()).and(query()).then(h::my_orders);
    let get_order = warp::path!("api" / "v1" / "orders" / i64).and(warp::get()).and(signed_in()).then(h::get_order);
    let order_history =
        warp::path!("api" / "v1" / "orders" / i64 / "history").and(warp::get()).and(signed_in()).then(h::order_history);
    let cancel_order =
        warp::path!("api" / "v1" / "orders" / i64 / "cancel").and(warp::post()).and(signed_in()).then(h::cancel_order);
    let feedback = warp::path!("api" / "v1" / "feedback")
        .and(warp::post())
        .and(signed_in())
        .and(json_body(limit))
        .then(h::leave_feedback);

    let inventory = warp::path!("api" / "v1" / "seller" / "inventory")
        .and(warp::get())
        .and(signed_in())
        .and(query())
        .then(h::seller_inventory);
    let upsert = warp::path!("api" / "v1" / "seller" / "inventory")
        .and(warp::post())
        .and(signed_in())
        .and(json_body(limit))
        .then(h::upsert_stock_item);
    let seller_orders = warp::path!("api" / "v1" / "seller" / "orders")
        .and(warp::get())
        .and(signed_in())
        .and(query())
        .then(h::seller_orders);
    let invoice = warp::path!("api" / "v1" / "seller" / "invoice")
        .and(warp::post())
        .and(signed_in())
        .and(json_body(limit))
        .then(h::submit_invoice);

    let pending_orders = warp::path!("api" / "v1" / "admin" / "orders" / "pending")
        .and(warp::get())
        .and(signed_in())
        .and(query())
        .then(h::pending_orders);
    let decide_order = warp::path!("api" / "v1" / "admin" / "orders" / i64 / "approve")
        .and(warp::patch())
        .and(signed_in())
        .and(json_body(limit))
        .then(h::decide_order);
    let pending_invoices = warp::path!("api" / "v1" / "admin" / "invoices" / "pending")
        .and(warp::get())
        .and(signed_in())
        .and(query())
        .then(h::pending_invoices);
    let decide_invoice = warp::path!("api" / "v1" / "admin" / "invoices" / i64 / "approve")
        .and(warp::patch())
        .and(signed_in())
        .and(json_body(limit))
        .then(h::decide_invoice);
    let confirm_delivery = warp::path!("api" / "v1" / "admin" / "delivery" / i64 / "confirm")
        .and(warp::patch())
        .and(signed_in())
        .then(h::confirm_delivery);

    let notifications =
        warp::path!("api" / "v1" / "notifications").and(warp::get()).and(signed_in()).and(query()).then(n::list);
    let notification_read = warp::path!("api" / "v1" / "notifications" / i64 / "read")
        .and(warp::post())
        .and(signed_in())
        .then(n::mark_read);
    let notifications_read_all = warp::path!("api" / "v1" / "notifications" / "read-all")
        .and(warp::post())
        .and(signed_in())
        .then(n::mark_all_read);
    let notification_stream = warp::path!("api" / "v1" / "notifications" / "stream")
        .and(warp::get())
        .and(signed_in())
        .and(warp::header::optional::<String>("last-event-id"))
        .then(n::stream);

    let routes: [Route; 27] = [
        healthz,
        readyz,
        spec,
        docs,
        register.map(render).boxed(),
        login.map(render).boxed(),
        logout.map(render).boxed(),
        gas.map(render).boxed(),
        place_order.map(render).boxed(),
        my_orders.map(render).boxed(),
        get_order.map(render).boxed(),
        order_history.map(render).boxed(),
        cancel_order.map(render).boxed(),
        feedback.map(render).boxed(),
        inventory.map(render).boxed(),
        upsert.map(render).boxed(),
        seller_orders.map(render).boxed(),
        invoice.map(render).boxed(),
        pending_orders.map(render).boxed(),
        decide_order.map(render).boxed(),
        pending_invoices.map(render).boxed(),
        decide_invoice.map(render).boxed(),
        confirm_delivery.map(render).boxed(),
        notifications.map(render).boxed(),
        notification_read.map(render).boxed(),
        notifications_read_all.map(render).boxed(),
        notification_stream.map(render).boxed(),
    ];
    routes.into_iter().reduce(|all, route| all.or(route).unify().boxed()).expect("at least one route")
}

/// Every route, every rejection rendered as the JSON error body, and one log line per
/// request with its id (`X-Request-Id`, taken from the request or generated).
pub fn routes(state: &State) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static {
    let api = api(state).recover(error::recover).unify();
    warp::any()
        .map(Instant::now)
        .and(warp::method())
        .and(warp::path::full())
        .and(warp::header::optional::<String>("x-request-id").or(warp::any().map(|| None)).unify())
        .and(api)
        .map(|started: Instant, method: warp::http::Method, path: warp::path::FullPath, id: Option<String>, reply: Response| {
            let mut response = reply.into_response();
            let id = id
                .filter(|id| !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
                .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
            let status = response.status().as_u16();
            let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
            tracing::info!(target: "gasstock_server::request", %method, path = path.as_str(), status, latency_ms, request_id = %id, "request");
            if let Ok(value) = HeaderValue::from_str(&id) {
                response.headers_mut().insert("x-request-id", value);
            }
            response
        })
}
