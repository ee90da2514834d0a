//! Mobile money: an order's payment, the buyer's retry, and the provider's callback.

use gasstock_core::models::{Collection, OrderPayment};
use gasstock_core::Gasstock;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use warp::http::StatusCode;

use crate::auth::Session;
use crate::endpoint::Endpoint;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Id, Json, Query};
use crate::reply::{json, ok};
use crate::state::State;

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(__path_order_payment, order_payment),
        Endpoint::new(__path_pay_order, pay_order),
        Endpoint::new(__path_momo_callback, momo_callback),
        Endpoint::new(__path_momo_callback_put, momo_callback_put),
    ]
}

/// How an order is paid: the method, every request-to-pay (the latest as `collection`), and
/// the payment released on delivery. For its buyer, its seller and admins.
#[utoipa::path(get, path = "/api/v1/orders/{id}/payment", tag = "buyer", params(("id" = i64, Path, description = "order id")),
    security(("bearer" = [])), responses(
        (status = 200, body = OrderPayment),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn order_payment(Id(id): Id, state: State, session: Session) -> ApiResult {
    ok(&state.core.order_payment(&session.actor, id).await?)
}

/// The buyer asks again after a failed mobile-money payment: a new request-to-pay, under a
/// new reference, is sent to the payer's phone.
#[utoipa::path(post, path = "/api/v1/orders/{id}/pay", tag = "buyer", params(("id" = i64, Path, description = "order id")),
    security(("bearer" = [])), responses(
        (status = 202, description = "requested; follow it with GET /orders/{id}/payment", body = Collection),
        (status = 401, body = ErrorBody),
        (status = 403, description = "only the buyer pays", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`payment_in_progress` (requested or collected already), `payment_not_requested` \
            (the invoice is not approved), `not_mobile_money`", body = ErrorBody),
    ))]
pub async fn pay_order(Id(id): Id, state: State, session: Session) -> ApiResult {
    Ok(json(StatusCode::ACCEPTED, &state.core.retry_payment(&session.actor, id).await?))
}

/// `?reference=` on the callback URL, when the configured URL carries it.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The request's `X-Reference-Id`.
    pub reference: Option<String>,
}

/// Always the same answer: a caller learns nothing about which references exist.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallbackReceipt {
    pub received: bool,
}

/// The MoMo provider's callback. Never trusted: it only names a reference (its `referenceId`
/// or `externalId`, or `?reference=`), whose status the server then reads from the provider
/// itself. Unknown references, forged bodies and replays change nothing. No authentication.
#[utoipa::path(post, path = "/api/v1/payments/momo/callback", tag = "payments", params(CallbackQuery),
    request_body(content = Object, description = "MoMo's callback body (`referenceId`, `externalId`, `status`, ...): only the reference is read"),
    responses(
        (status = 200, body = CallbackReceipt),
        (status = 400, body = ErrorBody),
    ))]
pub async fn momo_callback(
    state: State,
    Query(query): Query<CallbackQuery>,
    Json(body): Json<serde_json::Map<String, serde_json::Value>>,
) -> ApiResult {
    // A JSON object, as MoMo sends; anything else is refused (400) before it is looked at.
    let body = serde_json::Value::Object(body);
    if let (Some(collector), Some(reference)) =
        (&state.collector, Gasstock::reference_from_callback(&body, query.reference.as_deref()))
    {
        // A provider that cannot be reached now is asked again by the poller.
        if let Err(err) = collector.check(&reference).await {
            tracing::warn!(reference = %reference, error = %err, "callback: status not read");
        }
    }
    ok(&CallbackReceipt { received: true })
}

/// The same callback sent with PUT, as some MoMo environments do.
#[utoipa::path(put, path = "/api/v1/payments/momo/callback", tag = "payments", params(CallbackQuery),
    request_body(content = Object, description = "as for POST"),
    responses(
        (status = 200, body = CallbackReceipt),
        (status = 400, body = ErrorBody),
    ))]
pub async fn momo_callback_put(
    state: State,
    query: Query<CallbackQuery>,
    body: Json<serde_json::Map<String, serde_json::Value>>,
) -> ApiResult {
    momo_callback(state, query, body).await
}
