//! Stock: buyers browse it, sellers keep their inventory.

use gasstock_core::commands::browse::BrowseQuery;
use gasstock_core::commands::{AdjustmentInput, PageRequest, RefillInput, StockItemInput, StockQuery};
use gasstock_core::cylinders::StockChange;
use gasstock_core::models::{BrowseItem, Paged, PriceChange, StockItem, StockMovement};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Session;
use crate::endpoint::Endpoint;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{whole_in_query, Id, Json, PageQuery, Query};
use crate::reply::{created, created_or_ok, ok};
use crate::state::State;

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(__path_browse_stock, browse_stock),
        Endpoint::new(__path_stock_item, stock_item),
        Endpoint::new(__path_seller_inventory, seller_inventory),
        Endpoint::new(__path_upsert_stock_item, upsert_stock_item),
        Endpoint::new(__path_stock_movements, stock_movements),
        Endpoint::new(__path_refill, refill),
        Endpoint::new(__path_adjust_stock, adjust_stock),
        Endpoint::new(__path_price_history, price_history),
    ]
}

/// `GET /gas` filters: case-insensitive exact matches.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GasQuery {
    /// Brand, e.g. `jibu` finds `Jibu`.
    #[param(schema_with = gasstock_core::commands::schema::optional_label::<100>)]
    pub brand: Option<String>,
    /// Kilograms: `12`, `12kg`, `12.5 KG` (anything else is a 422).
    #[param(schema_with = gasstock_core::commands::schema::weight_filter)]
    pub weight: Option<String>,
    #[param(schema_with = gasstock_core::commands::schema::optional_label::<100>)]
    pub location: Option<String>,
    /// A district of Rwanda (any case): results carry `distance_km` from it and come nearest
    /// first, then cheapest. An unknown district is a 422 listing the valid ones.
    #[param(schema_with = gasstock_core::commands::schema::optional_district)]
    pub near: Option<String>,
    /// `price`, `distance` (the default with `near`; without it, the default order) or `rating`.
    #[param(schema_with = gasstock_core::commands::schema::browse_sort)]
    pub sort: Option<String>,
    /// With `near`: only items at most this many km away (0 to 1000); ignored without it.
    #[param(minimum = 0, maximum = 1000)]
    pub max_km: Option<f64>,
    /// From 1 (default 1).
    #[serde(default, deserialize_with = "whole_in_query")]
    #[param(minimum = 1, maximum = 10_000_000)]
    pub page: Option<i64>,
    /// From 1 to 100 (default 20).
    #[serde(default, deserialize_with = "whole_in_query")]
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

/// Browse stock items that are in stock, any signed-in user.
#[utoipa::path(get, path = "/api/v1/gas", tag = "buyer", params(GasQuery), security(("bearer" = [])), responses(
    (status = 200, body = Paged<BrowseItem>),
    (status = 400, description = "unknown or malformed query parameter", body = ErrorBody),
    (status = 401, body = ErrorBody),
    (status = 422, description = "bad weight, page, per_page, near (the message lists the districts), sort or max_km", body = ErrorBody),
))]
pub async fn browse_stock(state: State, _session: Session, Query(query): Query<GasQuery>) -> ApiResult {
    let page = PageRequest::new(query.page, query.per_page)?;
    let stock = StockQuery { brand: query.brand, weight: query.weight, location: query.location };
    let browse = BrowseQuery { stock, near: query.near, sort: query.sort, max_km: query.max_km };
    ok(&state.core.browse(&browse, page).await?)
}

/// One stock item, any signed-in user; also when its quantity is 0.
#[utoipa::path(get, path = "/api/v1/gas/{id}", tag = "buyer", params(("id" = i64, Path, description = "stock item id")),
    security(("bearer" = [])), responses(
        (status = 200, body = StockItem),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn stock_item(Id(id): Id, state: State, _session: Session) -> ApiResult {
    ok(&state.core.stock_item(id).await?)
}

/// The seller's own stock items, including those at quantity 0.
#[utoipa::path(get, path = "/api/v1/seller/inventory", tag = "seller", params(PageQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = Paged<StockItem>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn seller_inventory(state: State, session: Session, Query(query): Query<PageQuery>) -> ApiResult {
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
pub async fn upsert_stock_item(state: State, session: Session, Json(body): Json<StockItemInput>) -> ApiResult {
    let (item, created_now) = state.core.upsert_stock_item(&session.actor, &body).await?;
    created_or_ok(created_now, &item)
}

/// The item's stock ledger, newest first: one line per change of its full or empty count,
/// with the reason and the order or return behind it. Its seller and admins.
#[utoipa::path(get, path = "/api/v1/seller/inventory/{id}/movements", tag = "seller",
    params(("id" = i64, Path, description = "stock item id"), PageQuery), security(("bearer" = [])), responses(
        (status = 200, body = Paged<StockMovement>),
        (status = 401, body = ErrorBody),
        (status = 403, description = "buyers", body = ErrorBody),
        (status = 404, description = "no such item, or another seller's", body = ErrorBody),
    ))]
pub async fn stock_movements(Id(id): Id, state: State, session: Session, Query(query): Query<PageQuery>) -> ApiResult {
    ok(&state.core.stock_movements(&session.actor, id, query.page()?).await?)
}

/// Back from the depot: `quantity` empties become full cylinders (`empties -= q`,
/// `quantity += q`, one `refill` movement). Its seller and admins.
#[utoipa::path(post, path = "/api/v1/seller/inventory/{id}/refill", tag = "seller", request_body = RefillInput,
    params(("id" = i64, Path, description = "stock item id")), security(("bearer" = [])), responses(
        (status = 200, body = StockChange),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "buyers", body = ErrorBody),
        (status = 404, description = "no such item, or another seller's", body = ErrorBody),
        (status = 409, description = "`insufficient_stock`: fewer empties than that", body = ErrorBody),
        (status = 422, description = "quantity under 1 or over 10^9", body = ErrorBody),
    ))]
pub async fn refill(Id(id): Id, state: State, session: Session, Json(body): Json<RefillInput>) -> ApiResult {
    ok(&state.core.refill(&session.actor, id, &body).await?)
}

/// Correct the full and empty counts (damaged, lost, found, stocktake, correction); neither
/// may go below zero. Its seller and admins.
#[utoipa::path(post, path = "/api/v1/seller/inventory/{id}/adjustments", tag = "seller", request_body = AdjustmentInput,
    params(("id" = i64, Path, description = "stock item id")), security(("bearer" = [])), responses(
        (status = 201, body = StockChange),
        (status = 400, description = "unknown reason or field", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "buyers", body = ErrorBody),
        (status = 404, description = "no such item, or another seller's", body = ErrorBody),
        (status = 409, description = "`insufficient_stock`: a count would go below zero", body = ErrorBody),
        (status = 422, description = "both deltas 0, or beyond 10^9", body = ErrorBody),
    ))]
pub async fn adjust_stock(Id(id): Id, state: State, session: Session, Json(body): Json<AdjustmentInput>) -> ApiResult {
    created(&state.core.adjust_stock(&session.actor, id, &body).await?)
}

/// Every unit price and deposit the item had, oldest first; any signed-in user.
#[utoipa::path(get, path = "/api/v1/gas/{id}/prices", tag = "buyer", params(("id" = i64, Path, description = "stock item id")),
    security(("bearer" = [])), responses(
        (status = 200, body = Vec<PriceChange>),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn price_history(Id(id): Id, state: State, _session: Session) -> ApiResult {
    ok(&state.core.price_history(id).await?)
}
