//! Delivery zones (issue 13): the districts a seller delivers to and the fee for each.

use gasstock_core::commands::zones::ZoneInput;
use gasstock_core::models::Zone;

use crate::auth::Session;
use crate::endpoint::Endpoint;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::reply::ok;
use crate::state::State;

pub fn endpoints() -> Vec<Endpoint> {
    vec![Endpoint::new(__path_put_zones, put_zones), Endpoint::new(__path_get_zones, get_zones)]
}

/// Replace the seller's delivery zones: every district they deliver to, with its fee (an
/// empty list clears them). Orders naming another district are refused (422); an invoice's
/// delivery fee defaults to the order's zone fee.
#[utoipa::path(put, path = "/api/v1/seller/zones", tag = "seller", request_body = Vec<ZoneInput>, security(("bearer" = [])),
    responses(
        (status = 200, description = "the zones now, by district", body = Vec<Zone>),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 409, description = "a district listed twice", body = ErrorBody),
        (status = 422, description = "an unknown district (the message lists the valid ones) or a fee out of bounds", body = ErrorBody),
    ))]
pub async fn put_zones(state: State, session: Session, Json(body): Json<Vec<ZoneInput>>) -> ApiResult {
    ok(&state.core.set_zones(&session.actor, &body).await?)
}

/// The seller's delivery zones, by district.
#[utoipa::path(get, path = "/api/v1/seller/zones", tag = "seller", security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<Zone>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn get_zones(state: State, session: Session) -> ApiResult {
    ok(&state.core.my_zones(&session.actor).await?)
}
