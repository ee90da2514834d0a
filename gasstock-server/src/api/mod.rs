//! The endpoints of docs/api.md, by area. Each area file declares its handlers (with their
//! `#[utoipa::path]`) and lists them in its `endpoints()`; the server, the OpenAPI document and
//! the tests take the routes from [`endpoints`].
//!
//! Adding an endpoint, e.g. `GET /api/v1/gas/{id}`, touches one file of the server, its area:
//!
//! ```ignore
//! /// One stock item.
//! #[utoipa::path(get, path = "/api/v1/gas/{id}", tag = "buyer", params(("id" = i64, Path)),
//!     security(("bearer" = [])), responses((status = 200, body = StockItem), (status = 401, body = ErrorBody)))]
//! pub async fn stock_item(Id(id): Id, state: State, session: Session) -> ApiResult {
//!     ok(&state.core.stock_item(&session.actor, id).await?)
//! }
//! // ... and in the same file's `endpoints()`:
//! Endpoint::new(__path_stock_item, stock_item),
//! ```
//!
//! The attribute gives the method, the path and the OpenAPI operation; the handler's
//! arguments say what it takes from the request (`extract.rs`: `State`, `Session`, `Id`,
//! `Json<T>`, `Query<T>`, ...), in that order. A new area is a new file here plus one line in
//! [`endpoints`]. Then refresh the OpenAPI snapshot
//! (`GASSTOCK_UPDATE_SNAPSHOT=1 cargo test -p gasstock-server --test openapi_snapshot`).

pub mod accounts;
pub mod demo;
pub mod drivers;
pub mod invoices;
pub mod notifications;
pub mod ops;
pub mod orders;
pub mod payments;
pub mod payouts;
pub mod returns;
pub mod sellers;
pub mod stock;
pub mod stream;
pub mod stream_ticket;
pub mod zones;

use crate::endpoint::Endpoint;

/// Every endpoint the server answers.
pub fn endpoints() -> Vec<Endpoint> {
    [
        ops::endpoints(),
        demo::endpoints(),
        accounts::endpoints(),
        stock::endpoints(),
        orders::endpoints(),
        invoices::endpoints(),
        payments::endpoints(),
        payouts::endpoints(),
        returns::endpoints(),
        drivers::endpoints(),
        zones::endpoints(),
        sellers::endpoints(),
        notifications::endpoints(),
        stream::endpoints(),
        stream_ticket::endpoints(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    #[test]
    fn each_route_is_declared_once() {
        let mut seen = BTreeSet::new();
        for endpoint in super::endpoints() {
            assert!(seen.insert((endpoint.method(), endpoint.path().to_owned())), "{endpoint:?} is declared twice");
        }
    }
}
