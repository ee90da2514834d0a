//! One function per endpoint: take the parsed request, call the core, render the result.
//! No business rule lives here.

use std::net::SocketAddr;

use chrono::{DateTime, Utc};
use gasstock_core::commands::{
    Decision, FeedbackInput, InvoiceInput, OrderInput, PageRequest, Registration, StockItemInput, StockQuery,
};
use gasstock_core::domain::OrderStatus;
use gasstock_core::models::{Delivery, Feedback, Invoice, Order, Paged, StatusEvent, StockItem, User};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use warp::http::StatusCode;
use warp::reply::Response;
use warp::Reply;

use crate::auth::{authenticate_cached, Session};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::State;

fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    warp::reply::with_status(warp::reply::json(value), status).into_response()
}

pub(crate) fn ok<T: Serialize>(value: &T) -> ApiResult {
    Ok(json(StatusCode::OK, value))
}

fn created<T: Serialize>(value: &T) -> ApiResult {
    Ok(json(StatusCode::CREATED, value))
}

// --- request and response shapes that the core does not define ---------------------------

/// `POST /login`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthStatus {
    /// `ok` or `ready`.
    pub status: &'static str,
}

/// `?page=&per_page=`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// From 1 (default 1).
    pub page: Option<i64>,
    /// From 1 to 100 (default 20).
    pub per_page: Option<i64>,
}

impl PageQuery {
    fn page(&self) -> ApiResult<PageRequest> {
        Ok(PageRequest::new(self.page, self.per_page)?)
    }
}

/// `GET /gas` filters: case-insensitive exact matches.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GasQuery {
    /// Brand, e.g. `jibu` finds `Jibu`.
    pub brand: Option<String>,
    /// Kilograms: `12`, `12kg`, `12.5 KG` (anything else is a 422).
    pub weight: Option<String>,
    pub location: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// `GET /seller/orders` filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SellerOrdersQuery {
    /// `pending`, `approved`, `rejected`, `cancelled`, `invoiced` or `delivered` (else 400).
    pub status: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

// --- operations ---------------------------------------------------------------------------

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
pub fn openapi_json() -> warp::reply::Response {
    crate::openapi::spec_response()
}

/// A page that renders this document (works offline).
#[utoipa::path(get, path = "/docs", tag = "operations", responses(
    (status = 200, description = "HTML documentation page", content_type = "text/html", body = String),
))]
pub fn docs() -> warp::reply::Response {
    crate::openapi::docs_page()
}

// --- auth ---------------------------------------------------------------------------------

/// Sign up as a buyer or a seller.
#[utoipa::path(post, path = "/api/v1/register", tag = "auth", request_body = Registration, responses(
    (status = 201, description = "the new user", body = User),
    (status = 400, description = "not JSON, wrong types, missing or unknown fields", body = ErrorBody),
    (status = 409, description = "email already registered (`duplicate_email`)", body = ErrorBody),
    (status = 422, description = "invalid email, password under 8 characters, role not buyer/seller", body = ErrorBody),
))]
pub async fn register(state: State, body: Registration) -> ApiResult {
    created(&state.core.register(body).await?)
}

/// Sign in: a bearer token for the other endpoints.
#[utoipa::path(post, path = "/api/v1/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, body = LoginResponse),
    (status = 400, body = ErrorBody),
    (status = 401, description = "wrong email or password (the same answer for both)", body = ErrorBody),
    (status = 429, description = "too many attempts for this email or from this client; see `Retry-After`", body = ErrorBody),
))]
pub async fn login(state: State, client: Option<SocketAddr>, body: LoginRequest) -> ApiResult {
    let client = client.map(|addr| addr.ip());
    state.throttle.begin(&body.email, client).map_err(ApiError::too_many_attempts)?;
    let user = state.core.verify_credentials(&body.email, &body.password).await?;
    state.throttle.succeeded(&body.email, client);
    let issued = state.keys.issue(&user)?;
    ok(&LoginResponse { token: issued.token, token_type: "Bearer", expires_at: issued.expires_at, user })
}

/// Sign out: the token is revoked for good.
#[utoipa::path(post, path = "/api/v1/logout", tag = "auth", security(("bearer" = [])), responses(
    (status = 204, description = "the token is revoked"),
    (status = 401, body = ErrorBody),
))]
pub async fn logout(state: State, session: Session) -> ApiResult {
    let expires_at = DateTime::from_timestamp(session.claims.exp, 0).unwrap_or_else(Utc::now);
    state.core.revoke_token(&session.claims.jti, expires_at).await?;
    state.auth_cache.revoked(&session.claims.jti);
    Ok(StatusCode::NO_CONTENT.into_response())
}

// --- buyer --------------------------------------------------------------------------------

/// Browse stock items that are in stock, any signed-in user.
#[utoipa::path(get, path = "/api/v1/gas", tag = "buyer", params(GasQuery), security(("bearer" = [])), responses(
    (status = 200, body = Paged<StockItem>),
    (status = 400, description = "unknown or malformed query parameter", body = ErrorBody),
    (status = 401, body = ErrorBody),
    (status = 422, description = "bad weight, page or per_page", body = ErrorBody),
))]
pub async fn browse_stock(state: State, _session: Session, query: GasQuery) -> ApiResult {
    let page = PageRequest::new(query.page, query.per_page)?;
    let filter = StockQuery { brand: query.brand, weight: query.weight, location: query.location };
    ok(&state.core.browse_stock(&filter, page).await?)
}

/// Place an order: the stock is reserved at once.
#[utoipa::path(post, path = "/api/v1/orders", tag = "buyer", request_body = OrderInput, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key returns the first order (200) and reserves nothing more")),
    responses(
        (status = 201, description = "order placed", body = Order),
        (status = 200, description = "retry of an earlier request with the same Idempotency-Key", body = Order),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "only buyers order", body = ErrorBody),
        (status = 404, description = "no such stock item", body = ErrorBody),
        (status = 409, description = "`insufficient_stock`", body = ErrorBody),
        (status = 422, description = "quantity under 1, bad key", body = ErrorBody),
    ))]
pub async fn place_order(state: State, session: Session, key: Option<String>, body: OrderInput) -> ApiResult {
    let (order, created_now) = state.core.place_order(&session.actor, &body, key.as_deref()).await?;
    Ok(json(if created_now { StatusCode::CREATED } else { StatusCode::OK }, &order))
}

/// The caller's own orders, newest first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "buyer", params(PageQuery), security(("bearer" = [])), responses(
    (status = 200, body = Paged<Order>),
    (status = 401, body = ErrorBody),
    (status = 403, description = "only buyers have orders", body = ErrorBody),
))]
pub async fn my_orders(state: State, session: Session, query: PageQuery) -> ApiResult {
    ok(&state.core.my_orders(&session.actor, query.page()?).await?)
}

/// One order: for its buyer, its seller and admins (404 for everyone else).
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "buyer", params(("id" = i64, Path, description = "order id")),
    security(("bearer" = [])), responses(
        (status = 200, body = Order),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn get_order(id: i64, state: State, session: Session) -> ApiResult {
    ok(&state.core.order(&session.actor, id).await?)
}

/// Every status change of an order (who, when, from, to, reason), oldest first: for its buyer,
/// its seller and admins.
#[utoipa::path(get, path = "/api/v1/orders/{id}/history", tag = "buyer", params(("id" = i64, Path, description = "order id")),
    security(("bearer" = [])), responses(
        (status = 200, body = Vec<StatusEvent>),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn order_history(id: i64, state: State, session: Session) -> ApiResult {
    ok(&state.core.order_history(&session.actor, id).await?)
}

/// The buyer cancels a pending order; the stock goes back.
#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel", tag = "buyer", params(("id" = i64, Path, description = "order id")),
    security(("bearer" = [])), responses(
        (status = 200, body = Order),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the order is no longer pending", body = ErrorBody),
    ))]
pub async fn cancel_order(id: i64, state: State, session: Session) -> ApiResult {
    ok(&state.core.cancel_order(&session.actor, id).await?)
}

/// The buyer rates a delivered order, once.
#[utoipa::path(post, path = "/api/v1/feedback", tag = "buyer", request_body = FeedbackInput, security(("bearer" = [])),
    responses(
        (status = 201, body = Feedback),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "not delivered yet, or already rated", body = ErrorBody),
        (status = 422, description = "rating not 1 to 5", body = ErrorBody),
    ))]
pub async fn leave_feedback(state: State, session: Session, body: FeedbackInput) -> ApiResult {
    created(&state.core.leave_feedback(&session.actor, &body).await?)
}

// --- seller -------------------------------------------------------------------------------

/// The seller's own stock items, including those at quantity 0.
#[utoipa::path(get, path = "/api/v1/seller/inventory", tag = "seller", params(PageQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = Paged<StockItem>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn seller_inventory(state: State, session: Session, query: PageQuery) -> ApiResult {
    ok(&state.core.seller_inventory(&session.actor, query.page()?).await?)
}

/// Add or update a stock item, keyed by (seller, brand, weight, location).
#[utoipa::path(post, path = "/api/v1/seller/inventory", tag = "seller", request_body = StockItemInput,
    security(("bearer" = [])), responses(
        (status = 201, description = "created", body = StockItem),
        (status = 200, description = "updated", body = StockItem),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, description = "bad weight, negative quantity or price, bad currency", body = ErrorBody),
    ))]
pub async fn upsert_stock_item(state: State, session: Session, body: StockItemInput) -> ApiResult {
    let (item, created_now) = state.core.upsert_stock_item(&session.actor, &body).await?;
    Ok(json(if created_now { StatusCode::CREATED } else { StatusCode::OK }, &item))
}

/// Orders placed on the seller's stock, newest first.
#[utoipa::path(get, path = "/api/v1/seller/orders", tag = "seller", params(SellerOrdersQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = Paged<Order>),
        (status = 400, description = "unknown status", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn seller_orders(state: State, session: Session, query: SellerOrdersQuery) -> ApiResult {
    let status = match query.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(text.parse::<OrderStatus>().map_err(|err| {
            ApiError::bad_request("invalid_query", err.to_string())
                .with_details(serde_json::json!({ "field": "status" }))
        })?),
    };
    let page = PageRequest::new(query.page, query.per_page)?;
    ok(&state.core.seller_orders(&session.actor, status, page).await?)
}

/// Invoice one of the seller's approved orders; the amount is computed by the server.
#[utoipa::path(post, path = "/api/v1/seller/invoice", tag = "seller", request_body = InvoiceInput, security(("bearer" = [])),
    responses(
        (status = 201, body = Invoice),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "no such order among the seller's", body = ErrorBody),
        (status = 409, description = "the order is not approved", body = ErrorBody),
        (status = 422, description = "negative delivery fee", body = ErrorBody),
    ))]
pub async fn submit_invoice(state: State, session: Session, body: InvoiceInput) -> ApiResult {
    created(&state.core.submit_invoice(&session.actor, &body).await?)
}

// --- admin --------------------------------------------------------------------------------

/// Orders waiting for a decision, oldest first.
#[utoipa::path(get, path = "/api/v1/admin/orders/pending", tag = "admin", params(PageQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = Paged<Order>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn pending_orders(state: State, session: Session, query: PageQuery) -> ApiResult {
    ok(&state.core.pending_orders(&session.actor, query.page()?).await?)
}

/// Approve (`approve: true`) or reject a pending order; a rejection returns the stock.
#[utoipa::path(patch, path = "/api/v1/admin/orders/{id}/approve", tag = "admin", request_body = Decision,
    params(("id" = i64, Path, description = "order id")), security(("bearer" = [])), responses(
        (status = 200, description = "the order, now `approved` or `rejected`", body = Order),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the order is not pending", body = ErrorBody),
    ))]
pub async fn decide_order(id: i64, state: State, session: Session, body: Decision) -> ApiResult {
    ok(&state.core.decide_order(&session.actor, id, &body).await?)
}

/// Invoices waiting for a decision, oldest first.
#[utoipa::path(get, path = "/api/v1/admin/invoices/pending", tag = "admin", params(PageQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = Paged<Invoice>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn pending_invoices(state: State, session: Session, query: PageQuery) -> ApiResult {
    ok(&state.core.pending_invoices(&session.actor, query.page()?).await?)
}

/// Approve or reject a pending invoice; a rejection sends the order back to `approved`.
#[utoipa::path(patch, path = "/api/v1/admin/invoices/{id}/approve", tag = "admin", request_body = Decision,
    params(("id" = i64, Path, description = "invoice id")), security(("bearer" = [])), responses(
        (status = 200, body = Invoice),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the invoice is not pending", body = ErrorBody),
    ))]
pub async fn decide_invoice(id: i64, state: State, session: Session, body: Decision) -> ApiResult {
    ok(&state.core.decide_invoice(&session.actor, id, &body).await?)
}

/// Confirm delivery of an order whose invoice is approved: the payment is released.
#[utoipa::path(patch, path = "/api/v1/admin/delivery/{id}/confirm", tag = "admin",
    params(("id" = i64, Path, description = "order id")), security(("bearer" = [])), responses(
        (status = 200, body = Delivery),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "no approved invoice, or already delivered", body = ErrorBody),
    ))]
pub async fn confirm_delivery(id: i64, state: State, session: Session) -> ApiResult {
    ok(&state.core.confirm_delivery(&session.actor, id).await?)
}

/// Checks the bearer token of a request (used by the `authenticated` filter).
pub async fn session(state: State, header: Option<String>) -> Result<Session, warp::Rejection> {
    authenticate_cached(&state.core, &state.keys, &state.auth_cache, header.as_deref())
        .await
        .map_err(warp::reject::custom)
}
