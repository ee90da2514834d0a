//! Invoices and delivery: sellers invoice approved orders, admins decide invoices and confirm
//! delivery (which releases the payment).

use gasstock_core::commands::{Decision, InvoiceInput};
use gasstock_core::models::{Delivery, Invoice, Paged};

use crate::auth::Session;
use crate::endpoint::Endpoint;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Id, Json, PageQuery, Query};
use crate::reply::{created, ok};
use crate::state::State;

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(__path_submit_invoice, submit_invoice),
        Endpoint::new(__path_pending_invoices, pending_invoices),
        Endpoint::new(__path_decide_invoice, decide_invoice),
        Endpoint::new(__path_confirm_delivery, confirm_delivery),
    ]
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
pub async fn submit_invoice(state: State, session: Session, Json(body): Json<InvoiceInput>) -> ApiResult {
    created(&state.core.submit_invoice(&session.actor, &body).await?)
}

/// Invoices waiting for a decision, oldest first.
#[utoipa::path(get, path = "/api/v1/admin/invoices/pending", tag = "admin", params(PageQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = Paged<Invoice>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn pending_invoices(state: State, session: Session, Query(query): Query<PageQuery>) -> ApiResult {
    ok(&state.core.pending_invoices(&session.actor, query.page()?).await?)
}

/// Approve or reject a pending invoice, with an optional `reason`.
///
/// A rejection sends the order back to `approved`.
#[utoipa::path(patch, path = "/api/v1/admin/invoices/{id}/approve", tag = "admin", request_body = Decision,
    params(("id" = i64, Path, description = "invoice id")), security(("bearer" = [])), responses(
        (status = 200, body = Invoice),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the invoice is not pending", body = ErrorBody),
    ))]
pub async fn decide_invoice(Id(id): Id, state: State, session: Session, Json(body): Json<Decision>) -> ApiResult {
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
pub async fn confirm_delivery(Id(id): Id, state: State, session: Session) -> ApiResult {
    ok(&state.core.confirm_delivery(&session.actor, id).await?)
}
