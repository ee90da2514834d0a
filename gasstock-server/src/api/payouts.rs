//! Seller payouts: the admin's list and retry, the seller's payout number.

use gasstock_core::commands::PageRequest;
use gasstock_core::domain::PayoutStatus;
use gasstock_core::models::{Paged, Payout};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Session;
use crate::endpoint::Endpoint;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{status_filter, whole_in_query, Id, Json, Query};
use crate::reply::ok;
use crate::state::State;

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(__path_list_payouts, list_payouts),
        Endpoint::new(__path_retry_payout, retry_payout),
        Endpoint::new(__path_get_payout_phone, get_payout_phone),
        Endpoint::new(__path_set_payout_phone, set_payout_phone),
    ]
}

/// `GET /admin/payouts` filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PayoutsQuery {
    /// `queued`, `sent`, `paid` or `failed` (else 400).
    #[param(value_type = Option<PayoutStatus>)]
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

/// Seller payouts of mobile-money orders, newest first.
#[utoipa::path(get, path = "/api/v1/admin/payouts", tag = "admin", params(PayoutsQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = Paged<Payout>),
        (status = 400, description = "unknown or empty status (`invalid_query`); a header that is not \
            visible ASCII text (`invalid_header`)", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "only admins", body = ErrorBody),
    ))]
pub async fn list_payouts(state: State, session: Session, Query(query): Query<PayoutsQuery>) -> ApiResult {
    let status = status_filter::<PayoutStatus>(query.status.as_deref())?;
    let page = PageRequest::new(query.page, query.per_page)?;
    ok(&state.core.payouts(&session.actor, status, page).await?)
}

/// Queues a failed payout again, under a new reference.
#[utoipa::path(post, path = "/api/v1/admin/payouts/{id}/retry", tag = "admin", params(("id" = i64, Path, description = "payout id")),
    security(("bearer" = [])), responses(
        (status = 200, body = Payout),
        (status = 401, body = ErrorBody),
        (status = 403, description = "only admins", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`invalid_state`: only a failed payout is retried", body = ErrorBody),
    ))]
pub async fn retry_payout(Id(id): Id, state: State, session: Session) -> ApiResult {
    ok(&state.core.retry_payout(&session.actor, id).await?)
}

/// The seller's mobile-money number for payouts.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutPhone {
    /// An MSISDN (`+250788123456`, or `0788123456`); `null` clears it.
    #[schema(schema_with = gasstock_core::commands::schema::optional_msisdn, example = "+250788123456")]
    pub payout_phone: Option<String>,
}

/// The seller's payout number (`null` until set).
#[utoipa::path(get, path = "/api/v1/seller/payout-phone", tag = "seller", security(("bearer" = [])), responses(
    (status = 200, body = PayoutPhone),
    (status = 401, body = ErrorBody),
    (status = 403, description = "only sellers", body = ErrorBody),
))]
pub async fn get_payout_phone(state: State, session: Session) -> ApiResult {
    ok(&PayoutPhone { payout_phone: state.core.payout_phone(&session.actor).await? })
}

/// Sets the seller's payout number (normalised in the answer).
#[utoipa::path(put, path = "/api/v1/seller/payout-phone", tag = "seller", request_body = PayoutPhone,
    security(("bearer" = [])), responses(
        (status = 200, body = PayoutPhone),
        (status = 401, body = ErrorBody),
        (status = 403, description = "only sellers", body = ErrorBody),
        (status = 422, description = "not an MSISDN (`invalid`, `details.field` `payout_phone`)", body = ErrorBody),
    ))]
pub async fn set_payout_phone(state: State, session: Session, Json(body): Json<PayoutPhone>) -> ApiResult {
    ok(&PayoutPhone { payout_phone: state.core.set_payout_phone(&session.actor, body.payout_phone.as_deref()).await? })
}
