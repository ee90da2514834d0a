//! The OpenAPI 3 document: the API's description here, each operation from its endpoint's
//! `#[utoipa::path]` attribute (see [`crate::endpoint`]).

use std::sync::OnceLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::endpoint::Endpoint;

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "gasstock API",
        description = "LPG cylinder distribution: sellers list stock, buyers order, admins approve, \
                       sellers invoice, admins confirm delivery and release payment.\n\n\
                       Every error has the body `{\"error\": {\"code\", \"message\", \"details\"}}`. \
                       Lists are paginated with `page` and `per_page` (at most 100). \
                       Integer fields and parameters take any number without a fraction (`3.0` is 3). \
                       Besides the statuses each operation lists, any request may get 405 (another method \
                       of a known path, with `Allow`), 408 (a body slower than the body read timeout), \
                       400, 414 or 431 (a request the HTTP parser refuses), all with the same error body.",
    ),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sign up, sign in, sign out"),
        (name = "buyer", description = "Browse stock, order, rate"),
        (name = "seller", description = "Stock, orders on it, invoices"),
        (name = "admin", description = "Approvals and delivery"),
        (name = "payments", description = "Mobile-money provider callbacks"),
        (name = "driver", description = "A driver's deliveries: list, complete with the buyer's handover code, report failed"),
        (name = "notifications", description = "The signed-in user's notifications: feed, read marks, live stream (SSE)"),
        (name = "operations", description = "Health checks"),
    )
)]
pub struct ApiDoc;

/// The `bearer` security scheme that the authenticated paths refer to.
#[derive(Debug)]
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// The document of these endpoints.
pub fn document(endpoints: &[Endpoint]) -> utoipa::openapi::OpenApi {
    let mut openapi = ApiDoc::openapi();
    let mut schemas = Vec::new();
    for endpoint in endpoints {
        endpoint.document(&mut openapi.paths, &mut schemas);
    }
    openapi.components.get_or_insert_with(Default::default).schemas.extend(schemas);
    openapi
}

/// The document of the server's endpoints as JSON, built once.
pub fn spec_json() -> &'static str {
    static SPEC: OnceLock<String> = OnceLock::new();
    SPEC.get_or_init(|| document(&crate::api::endpoints()).to_pretty_json().expect("the OpenAPI document serializes"))
}
