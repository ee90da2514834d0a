//! The served OpenAPI document covers every route the server answers, and `/docs` renders it
//! without anything from the network.

use std::collections::BTreeSet;

use gasstock_tests::Backend;
use serde_json::Value;

use crate::support::App;

/// Every endpoint of the contract (docs/api.md), written out here rather than derived from the
/// server, so that dropping one fails this test instead of quietly shrinking the snapshot.
const CONTRACT: &[(&str, &str)] = &[
    ("post", "/api/v1/register"),
    ("post", "/api/v1/login"),
    ("post", "/api/v1/logout"),
    ("get", "/api/v1/gas"),
    ("get", "/api/v1/gas/{id}"),
    ("post", "/api/v1/orders"),
    ("get", "/api/v1/orders"),
    ("get", "/api/v1/orders/{id}"),
    ("get", "/api/v1/orders/{id}/history"),
    ("post", "/api/v1/orders/{id}/cancel"),
    ("post", "/api/v1/feedback"),
    ("get", "/api/v1/seller/inventory"),
    ("post", "/api/v1/seller/inventory"),
    ("get", "/api/v1/seller/orders"),
    ("post", "/api/v1/seller/invoice"),
    ("get", "/api/v1/admin/orders/pending"),
    ("patch", "/api/v1/admin/orders/{id}/approve"),
    ("get", "/api/v1/admin/invoices/pending"),
    ("patch", "/api/v1/admin/invoices/{id}/approve"),
    ("patch", "/api/v1/admin/delivery/{id}/confirm"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/docs"),
    ("get", "/api/v1/notifications"),
    ("post", "/api/v1/notifications/{id}/read"),
    ("post", "/api/v1/notifications/read-all"),
    ("get", "/api/v1/notifications/stream"),
    ("post", "/api/v1/notifications/stream-ticket"),
    ("get", "/demo/notifications"),
];

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];

fn operations(spec: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(*method).is_some() {
                ops.insert((method.to_string(), path.clone()));
            }
        }
    }
    ops
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_lists_every_route_the_server_answers() {
    let app = App::start(Backend::Sqlite).await;
    let reply = app.call("GET", "/api/v1/openapi.json", None, None).await;
    let spec = reply.expect(200, "openapi.json").clone();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."), "OpenAPI 3.x: {}", spec["openapi"]);
    assert!(spec["info"]["title"].is_string() && spec["info"]["version"].is_string());
    let documented = operations(&spec);

    // Routes -> document: the server's route list (the one the warp routes are built from)
    // is the document's list of operations.
    let routes: BTreeSet<(String, String)> = gasstock_server::api::endpoints()
        .iter()
        .map(|endpoint| (endpoint.method().to_owned(), endpoint.path().to_owned()))
        .collect();
    assert_eq!(routes, documented, "the route list and the document differ");

    // Contract -> document: every endpoint of docs/api.md is documented (and so served).
    let contract: BTreeSet<(String, String)> =
        CONTRACT.iter().map(|(method, path)| (method.to_string(), path.to_string())).collect();
    let missing: Vec<_> = contract.difference(&documented).collect();
    assert!(missing.is_empty(), "endpoints of the contract missing from the document: {missing:?}");

    // Document -> server: every documented operation is answered (not "no such route"), and
    // every other method on the same path is a 405.
    for (method, path) in &documented {
        let concrete = path.replace("{id}", "1");
        let reply = app.call(&method.to_uppercase(), &concrete, None, None).await;
        let code = reply.body["error"]["code"].as_str().unwrap_or("");
        assert!(
            !matches!(code, "route_not_found" | "method_not_allowed"),
            "{method} {path} is documented but not served: {}",
            reply.text
        );
        for other in METHODS.iter().filter(|m| *m != method && !documented.contains(&(m.to_string(), path.clone()))) {
            let reply = app.call(&other.to_uppercase(), &concrete, None, None).await;
            assert_eq!(reply.status, 405, "{other} {path}: {}", reply.text);
        }
    }

    // Server -> document: probing a few plausible routes that are not documented finds none.
    for (method, path) in
        [("GET", "/api/v1/users"), ("GET", "/api/v1/invoices"), ("GET", "/api/v1/payments"), ("GET", "/api")]
    {
        let reply = app.call(method, path, None, None).await;
        reply.expect_error(404, "route_not_found", path);
    }

    // Every operation has responses with schemas; request bodies where docs/api.md has them;
    // the bearer scheme on every non-public operation; errors use the error schema.
    let public: BTreeSet<&str> = [
        "/api/v1/register",
        "/api/v1/login",
        "/healthz",
        "/readyz",
        "/api/v1/openapi.json",
        "/docs",
        "/demo/notifications",
        "/api/v1/payments/momo/callback",
    ]
    .into();
    for (method, path) in &documented {
        let op = &spec["paths"][path][method];
        let responses = op["responses"].as_object().unwrap_or_else(|| panic!("{method} {path} has responses"));
        assert!(responses.keys().any(|s| s.starts_with('2')), "{method} {path} documents a success");
        let secured = op["security"].as_array().is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
        assert_eq!(secured, !public.contains(path.as_str()), "{method} {path} security");
        if secured {
            assert!(responses.contains_key("401"), "{method} {path} documents 401");
        }
        for (status, response) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                let schema = &response["content"]["application/json"]["schema"]["$ref"];
                assert_eq!(schema, "#/components/schemas/ErrorBody", "{method} {path} {status}");
            } else if status != "204" {
                let content =
                    response["content"].as_object().unwrap_or_else(|| panic!("{method} {path} {status} content"));
                assert!(content.values().all(|c| c["schema"].is_object()), "{method} {path} {status} schema");
            }
        }
        let needs_body = (method == "post" || method == "patch" || method == "put")
            && !path.ends_with("/cancel")
            && !path.ends_with("/confirm")
            && !path.ends_with("/read")
            && !path.ends_with("/read-all")
            && !path.ends_with("/stream-ticket")
            && !path.ends_with("/pay")
            && !path.ends_with("/retry")
            && !path.ends_with("/disable")
            && !path.ends_with("/enable")
            && path != "/api/v1/logout";
        assert_eq!(op["requestBody"].is_object(), needs_body, "{method} {path} request body");
    }
    let schemes = &spec["components"]["securitySchemes"]["bearer"];
    assert_eq!((schemes["type"].as_str(), schemes["scheme"].as_str()), (Some("http"), Some("bearer")));
    let schemas = spec["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "ErrorBody",
        "User",
        "StockItem",
        "Order",
        "Invoice",
        "Payment",
        "Feedback",
        "Delivery",
        "OrderInput",
        "Notification",
        "MarkedRead",
    ] {
        assert!(schemas.contains_key(name), "schema {name}");
    }
    let error = &schemas["ErrorBody"]["properties"]["error"];
    assert!(error.is_object(), "ErrorBody.error: {error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_page_works_offline() {
    let app = App::start(Backend::Sqlite).await;
    let reply = app.call("GET", "/docs", None, None).await;
    assert_eq!(reply.status, 200);
    assert!(reply.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = reply.text;
    assert!(page.contains("/api/v1/openapi.json"), "the page loads the served document");
    assert!(page.contains("<script>"), "the page renders with inline script");
    for remote in ["http://", "https://", "src=\"//", "<link"] {
        assert!(!page.contains(remote), "the page must not load {remote} resources");
    }
}

/// The document states what the server enforces: the statuses each operation can answer
/// (401 for the signed-in ones, 400/413/415/422 with a body, 400/422 with a query), the bounds
/// of the core's domain types, and the roles one may register as. Before, none of these were
/// in the document, and a fuzzer working from it met undocumented 400s and 422s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_states_statuses_bounds_and_enums() {
    use gasstock_core::commands::PageRequest;
    use gasstock_core::domain::{Amount, OrderStatus, Quantity};

    let app = App::start(Backend::Sqlite).await;
    let spec = app.call("GET", "/api/v1/openapi.json", None, None).await.expect(200, "openapi").clone();
    for (method, path) in operations(&spec) {
        let operation = &spec["paths"][&path][&method];
        let responses = operation["responses"].as_object().unwrap();
        let has = |status: &str| responses.contains_key(status);
        let context = format!("{method} {path}: {:?}", responses.keys().collect::<Vec<_>>());
        if operation.get("security").is_some() {
            assert!(has("401") && has("400"), "{context}");
        }
        if operation.get("requestBody").is_some() {
            for status in ["400", "408", "413", "415", "422"] {
                assert!(has(status), "{context} lacks {status}");
            }
        }
        let params = operation["parameters"].as_array().cloned().unwrap_or_default();
        if params.iter().any(|p| p["in"] == "query") {
            assert!(has("400") && has("422"), "{context}");
        }
        if path.contains("{id}") {
            assert!(has("404"), "{context}");
        }
        for param in params.iter().filter(|p| p["name"] == "per_page" || p["name"] == "page") {
            let max = if param["name"] == "page" { PageRequest::MAX_PAGE } else { PageRequest::MAX_PER_PAGE };
            assert_eq!(
                (param["schema"]["minimum"].as_i64(), param["schema"]["maximum"].as_u64()),
                (Some(1), Some(max.into())),
                "{context}"
            );
        }
    }
    let schemas = &spec["components"]["schemas"];
    let bound = |schema: &str, field: &str| {
        let property = &schemas[schema]["properties"][field];
        (property["minimum"].as_i64(), property["maximum"].as_i64())
    };
    assert_eq!(bound("StockItemInput", "unit_price"), (Some(0), Some(Amount::MAX)));
    assert_eq!(bound("StockItemInput", "quantity"), (Some(0), Some(Quantity::MAX)));
    assert_eq!(bound("OrderInput", "quantity"), (Some(1), Some(Quantity::MAX)));
    assert_eq!(bound("InvoiceInput", "delivery_fee"), (Some(0), Some(Amount::MAX)));
    assert_eq!(bound("FeedbackInput", "rating"), (Some(1), Some(5)));
    assert_eq!(bound("OrderInput", "inventory_id").0, Some(1));
    assert_eq!(schemas["Registration"]["properties"]["role"]["enum"], serde_json::json!(["buyer", "seller"]));
    let status = &spec["paths"]["/api/v1/seller/orders"]["get"]["parameters"];
    let status = status.as_array().unwrap().iter().find(|p| p["name"] == "status").expect("status filter");
    assert!(status["schema"].to_string().contains("OrderStatus"), "the status filter is the enum: {status}");
    assert!(schemas["OrderStatus"]["enum"].as_array().is_some_and(|values| values.len() == OrderStatus::ALL.len()));
}
