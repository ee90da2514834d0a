//! Orders: placed and cancelled by buyers, listed for sellers, decided by admins, rated once
//! delivered.

use gasstock_core::commands::{Decision, FeedbackInput, OrderInput, PageRequest};
use gasstock_core::domain::OrderStatus;
use gasstock_core::models::{Feedback, Order, OrderView, Paged, StatusEvent};
use serde::Deserialize;
use utoipa::IntoParams;
use warp::filters::BoxedFilter;
use warp::Filter;

use crate::auth::Session;
use crate::endpoint::Endpoint;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{
    optional_header, status_filter, whole_in_query, FromRequest, Id, Json, PageQuery, Query, RouteContext,
};
use crate::reply::{created, created_or_ok, ok};
use crate::state::State;

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(__path_place_order, place_order),
        Endpoint::new(__path_my_orders, my_orders),
        Endpoint::new(__path_get_order, get_order),
        Endpoint::new(__path_order_history, order_history),
        Endpoint::new(__path_cancel_order, cancel_order),
        Endpoint::new(__path_leave_feedback, leave_feedback),
        Endpoint::new(__path_seller_orders, seller_orders),
        Endpoint::new(__path_pending_orders, pending_orders),
        Endpoint::new(__path_decide_order, decide_order),
    ]
}

/// The `Idempotency-Key` header of `POST /orders`.
#[derive(Debug)]
pub struct IdempotencyKey(pub Option<String>);

impl FromRequest for IdempotencyKey {
    fn filter(_: &RouteContext<'_>) -> BoxedFilter<(Self,)> {
        optional_header("idempotency-key").map(IdempotencyKey).boxed()
    }

    fn responses() -> &'static [(u16, &'static str)] {
        &[
            (400, "a key that is not visible ASCII text (`invalid_header`)"),
            (422, "a key that is not 1 to 255 printable ASCII characters (`invalid`)"),
        ]
    }
}

/// `GET /seller/orders` filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SellerOrdersQuery {
    /// One of the order statuses (else 400).
    #[param(value_type = Option<OrderStatus>)]
    pub status: Option<String>,
    /// From 1 (default 1).
    #[serde(default, deserialize_with = "whole_in_query")]
    #[param(minimum = 1, maximum = 10_000_000)]
    pub page: Option<i64>,
    /// From 1 to 100 (default 20).
    #[serde(default, deserialize_with = "whole_in_query")]
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

/// Place an order: the stock is reserved at once.
#[utoipa::path(post, path = "/api/v1/orders", tag = "buyer", request_body = OrderInput, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$",
        description = "1 to 255 printable ASCII characters: a retry with the same key returns the first order (200) and reserves nothing more")),
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
pub async fn place_order(
    state: State,
    session: Session,
    IdempotencyKey(key): IdempotencyKey,
    Json(body): Json<OrderInput>,
) -> ApiResult {
    let (order, created_now) = state.core.place_order(&session.actor, &body, key.as_deref()).await?;
    created_or_ok(created_now, &order)
}

/// The caller's own orders, newest first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "buyer", params(PageQuery), security(("bearer" = [])), responses(
    (status = 200, body = Paged<Order>),
    (status = 401, body = ErrorBody),
    (status = 403, description = "only buyers have orders", body = ErrorBody),
))]
pub async fn my_orders(state: State, session: Session, Query(query): Query<PageQuery>) -> ApiResult {
    ok(&state.core.my_orders(&session.actor, query.page()?).await?)
}

/// One order: for its buyer, its seller and admins (404 for everyone else). While a driver
/// is on the way, its buyer alone also gets `handover_code`.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "buyer", params(("id" = i64, Path, description = "order id")),
    security(("bearer" = [])), responses(
        (status = 200, body = OrderView),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn get_order(Id(id): Id, state: State, session: Session) -> ApiResult {
    ok(&state.core.order_view(&session.actor, id).await?)
}

/// Every status change of an order (who, when, from, to, reason), oldest first: for its buyer,
/// its seller and admins.
#[utoipa::path(get, path = "/api/v1/orders/{id}/history", tag = "buyer", params(("id" = i64, Path, description = "order id")),
    security(("bearer" = [])), responses(
        (status = 200, body = Vec<StatusEvent>),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn order_history(Id(id): Id, state: State, session: Session) -> ApiResult {
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
pub async fn cancel_order(Id(id): Id, state: State, session: Session) -> ApiResult {
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
pub async fn leave_feedback(state: State, session: Session, Json(body): Json<FeedbackInput>) -> ApiResult {
    created(&state.core.leave_feedback(&session.actor, &body).await?)
}

/// Orders placed on the seller's stock, newest first.
#[utoipa::path(get, path = "/api/v1/seller/orders", tag = "seller", params(SellerOrdersQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = Paged<Order>),
        (status = 400, description = "unknown status", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn seller_orders(state: State, session: Session, Query(query): Query<SellerOrdersQuery>) -> ApiResult {
    let status = status_filter::<OrderStatus>(query.status.as_deref())?;
    let page = PageRequest::new(query.page, query.per_page)?;
    ok(&state.core.seller_orders(&session.actor, status, page).await?)
}

/// Orders waiting for a decision, oldest first.
#[utoipa::path(get, path = "/api/v1/admin/orders/pending", tag = "admin", params(PageQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = Paged<Order>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn pending_orders(state: State, session: Session, Query(query): Query<PageQuery>) -> ApiResult {
    ok(&state.core.pending_orders(&session.actor, query.page()?).await?)
}

/// Approve (`approve: true`) or reject a pending order, with an optional `reason`.
///
/// A rejection returns the stock.
#[utoipa::path(patch, path = "/api/v1/admin/orders/{id}/approve", tag = "admin", request_body = Decision,
    params(("id" = i64, Path, description = "order id")), security(("bearer" = [])), responses(
        (status = 200, description = "the order, now `approved` or `rejected`", body = Order),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the order is not pending", body = ErrorBody),
    ))]
pub async fn decide_order(Id(id): Id, state: State, session: Session, Json(body): Json<Decision>) -> ApiResult {
    ok(&state.core.decide_order(&session.actor, id, &body).await?)
}
