//! Drivers and dispatch (issue 13): a seller's drivers, dispatching an invoiced order, the
//! driver's deliveries and their handover by the buyer's code.

use gasstock_core::commands::driver::{CompleteInput, DispatchInput, DriverInput, FailInput};
use gasstock_core::models::{Delivery, Dispatch, Driver, Order, Paged};

use crate::auth::Session;
use crate::endpoint::Endpoint;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Id, Json, PageQuery, Query};
use crate::reply::{created, ok};
use crate::state::State;

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(__path_create_driver, create_driver),
        Endpoint::new(__path_list_drivers, list_drivers),
        Endpoint::new(__path_disable_driver, disable_driver),
        Endpoint::new(__path_enable_driver, enable_driver),
        Endpoint::new(__path_dispatch_order, dispatch_order),
        Endpoint::new(__path_seller_dispatches, seller_dispatches),
        Endpoint::new(__path_cancel_failed, cancel_failed),
        Endpoint::new(__path_driver_deliveries, driver_deliveries),
        Endpoint::new(__path_complete_delivery, complete_delivery),
        Endpoint::new(__path_fail_delivery, fail_delivery),
    ]
}

/// Create a driver account that belongs to the calling seller.
#[utoipa::path(post, path = "/api/v1/seller/drivers", tag = "seller", request_body = DriverInput, security(("bearer" = [])),
    responses(
        (status = 201, body = Driver),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 409, description = "the email is already registered", body = ErrorBody),
        (status = 422, description = "a field is invalid", body = ErrorBody),
    ))]
pub async fn create_driver(state: State, session: Session, Json(body): Json<DriverInput>) -> ApiResult {
    created(&state.core.create_driver(&session.actor, &body).await?)
}

/// The calling seller's drivers, oldest first.
#[utoipa::path(get, path = "/api/v1/seller/drivers", tag = "seller", params(PageQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = Paged<Driver>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn list_drivers(state: State, session: Session, Query(query): Query<PageQuery>) -> ApiResult {
    ok(&state.core.seller_drivers(&session.actor, query.page()?).await?)
}

/// Disable one of the seller's drivers: no new dispatch to them, and they can no longer
/// list, complete or fail deliveries.
#[utoipa::path(post, path = "/api/v1/seller/drivers/{id}/disable", tag = "seller",
    params(("id" = i64, Path, description = "driver (user) id")), security(("bearer" = [])), responses(
        (status = 200, body = Driver),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "no such driver among the seller's", body = ErrorBody),
    ))]
pub async fn disable_driver(Id(id): Id, state: State, session: Session) -> ApiResult {
    ok(&state.core.set_driver_disabled(&session.actor, id, true).await?)
}

/// Enable a disabled driver again.
#[utoipa::path(post, path = "/api/v1/seller/drivers/{id}/enable", tag = "seller",
    params(("id" = i64, Path, description = "driver (user) id")), security(("bearer" = [])), responses(
        (status = 200, body = Driver),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "no such driver among the seller's", body = ErrorBody),
    ))]
pub async fn enable_driver(Id(id): Id, state: State, session: Session) -> ApiResult {
    ok(&state.core.set_driver_disabled(&session.actor, id, false).await?)
}

/// Send an order out with one of the seller's drivers: `invoiced` (invoice approved) ->
/// `out_for_delivery`; also re-dispatches a `failed` delivery, or one locked by wrong codes.
///
/// A fresh six-digit handover code goes to the buyer alone (in a notification and in their
/// `GET /orders/{id}`); it is in no response to the seller or the driver.
#[utoipa::path(post, path = "/api/v1/seller/orders/{id}/dispatch", tag = "seller", request_body = DispatchInput,
    params(("id" = i64, Path, description = "order id")), security(("bearer" = [])), responses(
        (status = 200, body = Dispatch),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "no such order, or no such driver, among the seller's", body = ErrorBody),
        (status = 409, description = "the order cannot be dispatched now (status, invoice not approved, already out, driver disabled)", body = ErrorBody),
    ))]
pub async fn dispatch_order(Id(id): Id, state: State, session: Session, Json(body): Json<DispatchInput>) -> ApiResult {
    ok(&state.core.dispatch(&session.actor, id, &body).await?)
}

/// The calling seller's dispatches, newest first.
#[utoipa::path(get, path = "/api/v1/seller/dispatches", tag = "seller", params(PageQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = Paged<Dispatch>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn seller_dispatches(state: State, session: Session, Query(query): Query<PageQuery>) -> ApiResult {
    ok(&state.core.seller_dispatches(&session.actor, query.page()?).await?)
}

/// Give up on a failed delivery: `failed` -> `cancelled`, the cylinders back in stock. For
/// the order's seller or an admin.
#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel-delivery", tag = "seller", request_body = FailInput,
    params(("id" = i64, Path, description = "order id")), security(("bearer" = [])), responses(
        (status = 200, body = Order),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the order is not failed", body = ErrorBody),
        (status = 422, description = "no reason given", body = ErrorBody),
    ))]
pub async fn cancel_failed(Id(id): Id, state: State, session: Session, Json(body): Json<FailInput>) -> ApiResult {
    ok(&state.core.cancel_failed_delivery(&session.actor, id, &body).await?)
}

/// The deliveries assigned to the calling driver, newest first (never the handover code).
#[utoipa::path(get, path = "/api/v1/driver/deliveries", tag = "driver", params(PageQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = Paged<Dispatch>),
        (status = 401, body = ErrorBody),
        (status = 403, description = "not a driver, or disabled", body = ErrorBody),
    ))]
pub async fn driver_deliveries(state: State, session: Session, Query(query): Query<PageQuery>) -> ApiResult {
    ok(&state.core.driver_deliveries(&session.actor, query.page()?).await?)
}

/// Complete a delivery with the buyer's handover code: `out_for_delivery` -> `delivered`,
/// releasing the payment exactly as an admin's confirmation does.
///
/// A wrong code is a 422 and counts; after 5 wrong codes the delivery is locked (409
/// `delivery_locked`) until the seller re-dispatches it.
#[utoipa::path(post, path = "/api/v1/driver/deliveries/{id}/complete", tag = "driver", request_body = CompleteInput,
    params(("id" = i64, Path, description = "order id")), security(("bearer" = [])), responses(
        (status = 200, body = Delivery),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "not a driver, or disabled", body = ErrorBody),
        (status = 404, description = "no delivery of this order assigned to the driver", body = ErrorBody),
        (status = 409, description = "locked by wrong codes, re-dispatched, or not out for delivery", body = ErrorBody),
        (status = 422, description = "wrong code, or not six digits", body = ErrorBody),
    ))]
pub async fn complete_delivery(
    Id(id): Id,
    state: State,
    session: Session,
    Json(body): Json<CompleteInput>,
) -> ApiResult {
    ok(&state.core.complete_delivery(&session.actor, id, &body).await?)
}

/// Report a delivery failed, with why: `out_for_delivery` -> `failed`.
#[utoipa::path(post, path = "/api/v1/driver/deliveries/{id}/fail", tag = "driver", request_body = FailInput,
    params(("id" = i64, Path, description = "order id")), security(("bearer" = [])), responses(
        (status = 200, body = Dispatch),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "not a driver, or disabled", body = ErrorBody),
        (status = 404, description = "no delivery of this order assigned to the driver", body = ErrorBody),
        (status = 409, description = "not out for delivery, or re-dispatched", body = ErrorBody),
        (status = 422, description = "no reason given", body = ErrorBody),
    ))]
pub async fn fail_delivery(Id(id): Id, state: State, session: Session, Json(body): Json<FailInput>) -> ApiResult {
    ok(&state.core.fail_delivery(&session.actor, id, &body).await?)
}
