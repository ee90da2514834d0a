//! Sellers as buyers choose them (issue 13): a public profile and the reviews.

use gasstock_core::models::{Feedback, Paged, SellerProfile};

use crate::auth::Session;
use crate::endpoint::Endpoint;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Id, PageQuery, Query};
use crate::reply::ok;
use crate::state::State;

pub fn endpoints() -> Vec<Endpoint> {
    vec![Endpoint::new(__path_seller_profile, seller_profile), Endpoint::new(__path_seller_feedback, seller_feedback)]
}

/// A seller's public profile: name, location, average rating (one decimal), number of
/// reviews and the districts they deliver to. Any signed-in user.
#[utoipa::path(get, path = "/api/v1/sellers/{id}", tag = "buyer", params(("id" = i64, Path, description = "seller (user) id")),
    security(("bearer" = [])), responses(
        (status = 200, body = SellerProfile),
        (status = 401, body = ErrorBody),
        (status = 404, description = "no seller with this id", body = ErrorBody),
    ))]
pub async fn seller_profile(Id(id): Id, state: State, _session: Session) -> ApiResult {
    ok(&state.core.seller_profile(id).await?)
}

/// A seller's reviews, newest first. Any signed-in user.
#[utoipa::path(get, path = "/api/v1/sellers/{id}/feedback", tag = "buyer",
    params(("id" = i64, Path, description = "seller (user) id"), PageQuery), security(("bearer" = [])), responses(
        (status = 200, body = Paged<Feedback>),
        (status = 401, body = ErrorBody),
        (status = 404, description = "no seller with this id", body = ErrorBody),
    ))]
pub async fn seller_feedback(Id(id): Id, state: State, _session: Session, Query(query): Query<PageQuery>) -> ApiResult {
    ok(&state.core.seller_reviews(id, query.page()?).await?)
}
