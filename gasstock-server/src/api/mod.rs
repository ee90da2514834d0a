//! The endpoints of docs/api.md, by area. Each area file declares its handlers (with their
//! `#[utoipa::path]`) and lists them in its `endpoints()`; the server, the OpenAPI document and
//! the tests take the routes from [`endpoints`].

pub mod accounts;
pub mod invoices;
pub mod notifications;
pub mod ops;
pub mod orders;
pub mod stock;

use crate::endpoint::Endpoint;

/// Every endpoint the server answers.
pub fn endpoints() -> Vec<Endpoint> {
    [
        ops::endpoints(),
        accounts::endpoints(),
        stock::endpoints(),
        orders::endpoints(),
        invoices::endpoints(),
        notifications::endpoints(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
