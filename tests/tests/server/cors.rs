//! `--cors-origins`: a page on an allowed origin may call the API (preflight, then the call,
//! error answers included); another origin's preflight is refused and its answers carry no
//! CORS header; with no origins configured nothing changes.

use gasstock_tests::Backend;
use reqwest::header::HeaderMap;

use crate::support::{App, Reply};

const SHOP: &str = "https://shop.example";
const EVIL: &str = "https://evil.example";

fn allow_origin(headers: &HeaderMap) -> Option<&str> {
    headers.get("access-control-allow-origin").map(|value| value.to_str().unwrap())
}

async fn preflight(app: &App, origin: &str, method: &str) -> Reply {
    let request = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/orders"))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header("Access-Control-Request-Headers", "authorization, content-type");
    app.send(request).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_origins_get_preflights_and_headers_others_do_not() {
    // CORS reads no data: one backend is enough.
    let app = App::start_with(Backend::Sqlite, |config| {
        config.ops.cors_origins = "https://shop.example, http://localhost:5173".parse().unwrap();
    })
    .await;
    let (_, token) = app.user("page@gas.rw", "buyer").await;

    let answer = preflight(&app, SHOP, "POST").await;
    assert_eq!(answer.status, 204, "{}", answer.text);
    let headers = &answer.headers;
    assert_eq!(allow_origin(headers), Some(SHOP));
    let methods = headers["access-control-allow-methods"].to_str().unwrap();
    assert!(methods.contains("POST") && methods.contains("PATCH"), "{methods}");
    let allowed = headers["access-control-allow-headers"].to_str().unwrap();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"), "{allowed}");
    assert!(headers.contains_key("access-control-max-age"));
    assert!(headers.contains_key("x-request-id"), "preflights are requests like others");

    // The actual call, and an error answer: both readable by the page.
    let call = app.client.get(app.url("/api/v1/orders")).bearer_auth(&token).header("Origin", SHOP);
    let call = app.send(call).await;
    call.expect(200, "cross-origin call");
    assert_eq!(allow_origin(&call.headers), Some(SHOP));
    assert!(call.headers["access-control-expose-headers"].to_str().unwrap().contains("x-request-id"));
    assert!(call.headers.get_all("vary").iter().any(|value| value == "origin"));
    let refused = app.send(app.client.get(app.url("/api/v1/orders")).header("Origin", SHOP)).await;
    refused.expect_error(401, "unauthenticated", "no token");
    assert_eq!(allow_origin(&refused.headers), Some(SHOP), "error answers carry CORS headers");
    let missing = app.send(app.client.get(app.url("/api/v1/nothing")).header("Origin", SHOP)).await;
    missing.expect(404, "unknown route");
    assert_eq!(allow_origin(&missing.headers), Some(SHOP));

    // Another origin: preflight refused, answers without CORS headers (the browser hides them).
    let answer = preflight(&app, EVIL, "POST").await;
    answer.expect_error(403, "cors_origin_refused", "other origin's preflight");
    assert_eq!(allow_origin(&answer.headers), None);
    let call = app.send(app.client.get(app.url("/api/v1/orders")).bearer_auth(&token).header("Origin", EVIL)).await;
    call.expect(200, "served, but not readable by the page");
    assert_eq!(allow_origin(&call.headers), None);
    assert!(!call.headers.contains_key("access-control-expose-headers"));
    // The second origin of the list, and no Origin at all (curl, the CLI).
    let answer = preflight(&app, "http://localhost:5173", "DELETE").await;
    assert_eq!((answer.status.as_u16(), allow_origin(&answer.headers)), (204, Some("http://localhost:5173")));
    let plain = app.send(app.client.get(app.url("/api/v1/orders")).bearer_auth(&token)).await;
    plain.expect(200, "same-origin");
    assert_eq!(allow_origin(&plain.headers), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_origins_no_cross_origin_call_is_allowed() {
    let app = App::start(Backend::Sqlite).await;
    let answer = preflight(&app, SHOP, "POST").await;
    answer.expect_error(405, "method_not_allowed", "no CORS: OPTIONS is not served");
    assert_eq!(allow_origin(&answer.headers), None);
    let call = app.send(app.client.get(app.url("/healthz")).header("Origin", SHOP)).await;
    call.expect(200, "health");
    assert_eq!(allow_origin(&call.headers), None);
    assert!(!call.headers.contains_key("vary"));
}
