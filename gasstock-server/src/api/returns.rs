//! Empty returns against deposits, and the deposit balances.

use gasstock_core::commands::{ReturnDecision, ReturnInput};
use gasstock_core::cylinders::Deposits;
use gasstock_core::models::{CylinderReturn, Paged};

use crate::auth::Session;
use crate::endpoint::Endpoint;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Id, Json, PageQuery, Query};
use crate::reply::{created, ok};
use crate::state::State;

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(__path_create_return, create_return),
        Endpoint::new(__path_list_returns, list_returns),
        Endpoint::new(__path_get_return, get_return),
        Endpoint::new(__path_settle_return, settle_return),
        Endpoint::new(__path_deposits, deposits),
    ]
}

/// A buyer returns empties they hold deposits for; pending until the seller settles it.
#[utoipa::path(post, path = "/api/v1/returns", tag = "buyer", request_body = ReturnInput, security(("bearer" = [])),
    responses(
        (status = 201, description = "created, waiting for the seller to settle it", body = CylinderReturn),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "only buyers return cylinders", body = ErrorBody),
        (status = 404, description = "no such stock item", body = ErrorBody),
        (status = 409, description = "`insufficient_deposit`: more than the buyer holds deposits for (less those in pending returns)", body = ErrorBody),
        (status = 422, description = "quantity under 1 or over 10^9", body = ErrorBody),
    ))]
pub async fn create_return(state: State, session: Session, Json(body): Json<ReturnInput>) -> ApiResult {
    created(&state.core.create_return(&session.actor, &body).await?)
}

/// Returns the caller may see (a buyer's own, a seller's, all for admins), newest first.
#[utoipa::path(get, path = "/api/v1/returns", tag = "buyer", params(PageQuery), security(("bearer" = [])), responses(
    (status = 200, body = Paged<CylinderReturn>),
    (status = 401, body = ErrorBody),
))]
pub async fn list_returns(state: State, session: Session, Query(query): Query<PageQuery>) -> ApiResult {
    ok(&state.core.returns(&session.actor, query.page()?).await?)
}

/// One return: its buyer, its seller and admins.
#[utoipa::path(get, path = "/api/v1/returns/{id}", tag = "buyer", params(("id" = i64, Path, description = "return id")),
    security(("bearer" = [])), responses(
        (status = 200, body = CylinderReturn),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn get_return(Id(id): Id, state: State, session: Session) -> ApiResult {
    ok(&state.core.cylinder_return(&session.actor, id).await?)
}

/// The seller (or an admin) settles a pending return. Accepted: `good + damaged = quantity`
/// (omitted: all good); the good cylinders become the seller's empties, the balance goes down
/// by the deposits of all of them, and `refund_amount` (the good ones' deposits) is owed back.
#[utoipa::path(patch, path = "/api/v1/returns/{id}", tag = "seller", request_body = ReturnDecision,
    params(("id" = i64, Path, description = "return id")), security(("bearer" = [])), responses(
        (status = 200, body = CylinderReturn),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "the return's buyer", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`invalid_state`: already settled", body = ErrorBody),
        (status = 422, description = "good + damaged is not the quantity", body = ErrorBody),
    ))]
pub async fn settle_return(Id(id): Id, state: State, session: Session, Json(body): Json<ReturnDecision>) -> ApiResult {
    ok(&state.core.settle_return(&session.actor, id, &body).await?)
}

/// Deposits held: a buyer's balances with each seller, a seller's deposits held for its
/// cylinders, everything for admins; with the totals and one page of the entries (newest first).
#[utoipa::path(get, path = "/api/v1/deposits", tag = "buyer", params(PageQuery), security(("bearer" = [])), responses(
    (status = 200, body = Deposits),
    (status = 400, description = "unknown or malformed query parameter", body = ErrorBody),
    (status = 401, body = ErrorBody),
    (status = 422, description = "bad page or per_page", body = ErrorBody),
))]
pub async fn deposits(state: State, session: Session, Query(query): Query<PageQuery>) -> ApiResult {
    ok(&state.core.deposits(&session.actor, query.page()?).await?)
}
