//! Bad input gets the right 4xx and the JSON error body, and leaves the data unchanged.

use std::io::{Read, Write};

use gasstock_tests::Backend;
use serde_json::{json, Value};

use crate::support::{assert_error_body, App, Market};

/// What the data looks like from the outside: the seller's stock and every order.
async fn snapshot(app: &App, seller: &str, admin: &str, buyer: &str) -> (Value, Value, Value) {
    let stock = app.get("/api/v1/seller/inventory?per_page=100", seller).await.expect(200, "inventory").clone();
    let pending = app.get("/api/v1/admin/orders/pending?per_page=100", admin).await.expect(200, "pending").clone();
    let mine = app.get("/api/v1/orders?per_page=100", buyer).await.expect(200, "orders").clone();
    (stock, pending, mine)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_and_queries_are_refused_without_changes() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start(backend).await;
        let Market { seller, buyer, admin, item } = app.market().await;
        let order = app.order(&buyer, item, 1).await["id"].as_i64().unwrap();
        let before = snapshot(&app, &seller, &admin, &buyer).await;

        let raw = |method: &'static str, path: &'static str, token: &str, content_type: &'static str, body: Vec<u8>| {
            let request = app
                .client
                .request(method.parse().unwrap(), app.url(path))
                .bearer_auth(token)
                .header("Content-Type", content_type)
                .body(body);
            app.send(request)
        };
        let json_type = "application/json";

        // Not JSON, wrong types, missing and unknown fields: 400.
        for (body, code) in [
            (&b"{\"inventory_id\": 1, \"quantity\": "[..], "malformed_json"),
            (b"not json at all", "malformed_json"),
            (b"[1, 2", "malformed_json"),
            (br#"{"inventory_id": "one", "quantity": 1}"#, "invalid_body"),
            (br#"{"inventory_id": 1, "quantity": 1.5}"#, "invalid_body"),
            (br#"{"inventory_id": 1, "quantity": "2"}"#, "invalid_body"),
            (br#"{"quantity": 1}"#, "invalid_body"),
            (br#"{"inventory_id": 1, "quantity": 1, "unit_price": 1}"#, "invalid_body"),
            (b"[]", "invalid_body"),
            (b"null", "invalid_body"),
            (b"", "missing_body"),
        ] {
            let reply = raw("POST", "/api/v1/orders", &buyer, json_type, body.to_vec()).await;
            reply.expect_error(400, code, &String::from_utf8_lossy(body));
        }
        let reply = raw("POST", "/api/v1/seller/inventory", &seller, json_type, br#"{"brand": 5}"#.to_vec()).await;
        reply.expect_error(400, "invalid_body", "brand as a number");
        let reply =
            raw("PATCH", "/api/v1/admin/orders/1/approve", &admin, json_type, br#"{"approve": "yes"}"#.to_vec()).await;
        reply.expect_error(400, "invalid_body", "approve as a string");
        let reply = app.patch(&format!("/api/v1/admin/orders/{order}/approve"), &admin, None).await;
        reply.expect_error(400, "missing_body", "decision without a body");

        // Wrong content type: 415.
        let reply =
            raw("POST", "/api/v1/orders", &buyer, "text/plain", br#"{"inventory_id": 1, "quantity": 1}"#.to_vec())
                .await;
        reply.expect_error(415, "unsupported_media_type", "text/plain");
        let form = raw("POST", "/api/v1/register", "", "application/x-www-form-urlencoded", b"email=a".to_vec()).await;
        form.expect_error(415, "unsupported_media_type", "form body");

        // Over 64 KiB: 413, with a Content-Length and when chunked.
        let huge = format!(r#"{{"inventory_id": {item}, "quantity": 1, "note": "{}"}}"#, "x".repeat(70 * 1024));
        let reply = raw("POST", "/api/v1/orders", &buyer, json_type, huge.clone().into_bytes()).await;
        reply.expect_error(413, "payload_too_large", "huge body");
        let (addr, token) = (app.server.addr(), buyer.clone());
        let (status, body) =
            tokio::task::spawn_blocking(move || chunked_post(addr, "/api/v1/orders", &token, huge.as_bytes()))
                .await
                .unwrap();
        assert_eq!(status, 413, "chunked huge body: {body}");
        assert_error_body(&serde_json::from_str(&body).expect("JSON error body"), "chunked huge body");
        let reply = raw(
            "POST",
            "/api/v1/register",
            "",
            json_type,
            format!(r#"{{"name": "{}"}}"#, "é".repeat(40_000)).into_bytes(),
        )
        .await;
        reply.expect_error(413, "payload_too_large", "huge register");

        // Well-formed but invalid: 422.
        for (body, field) in [
            (json!({"inventory_id": item, "quantity": 0}), "quantity"),
            (json!({"inventory_id": item, "quantity": -3}), "quantity"),
            (json!({"inventory_id": 0, "quantity": 1}), "inventory_id"),
        ] {
            let reply = app.post("/api/v1/orders", &buyer, body.clone()).await;
            reply.expect_error(422, "invalid", &body.to_string());
            assert_eq!(reply.body["error"]["details"]["field"], field);
        }
        for weight in [json!("heavy"), json!("12 lbs"), json!(-12), json!(0), json!("kg"), json!("")] {
            let body = json!({"brand": "Jibu", "weight": weight, "location": "Kigali", "quantity": 1, "unit_price": 1});
            let reply = app.post("/api/v1/seller/inventory", &seller, body).await;
            reply.expect_error(422, "invalid", &format!("weight {weight}"));
        }
        for body in [
            json!({"brand": "Jibu", "weight": 12, "location": "Kigali", "quantity": -1, "unit_price": 1}),
            json!({"brand": "Jibu", "weight": 12, "location": "Kigali", "quantity": 1, "unit_price": -1}),
            json!({"brand": "  ", "weight": 12, "location": "Kigali", "quantity": 1, "unit_price": 1}),
            json!({"brand": "Jibu", "weight": 12, "location": "Kigali", "quantity": 1, "unit_price": 1, "currency": "RWFX"}),
        ] {
            app.post("/api/v1/seller/inventory", &seller, body.clone()).await.expect_error(
                422,
                "invalid",
                &body.to_string(),
            );
        }
        app.get("/api/v1/gas?weight=heavy", &buyer).await.expect_error(422, "invalid", "weight filter");
        for rating in [0, 6, -1] {
            app.post("/api/v1/feedback", &buyer, json!({"order_id": order, "rating": rating})).await.expect_error(
                422,
                "invalid",
                &format!("rating {rating}"),
            );
        }
        app.post("/api/v1/seller/invoice", &seller, json!({"order_id": order, "delivery_fee": -5}))
            .await
            .expect(422, "negative delivery fee");

        // Bad query strings: 400.
        for path in [
            "/api/v1/gas?page=abc",
            "/api/v1/gas?per_page=1.5",
            "/api/v1/gas?colour=red",
            "/api/v1/gas?page=1&page=2",
            "/api/v1/orders?sort=price",
        ] {
            let token = &buyer;
            app.get(path, token).await.expect_error(400, "invalid_query", path);
        }
        app.get("/api/v1/seller/orders?status=shipped", &seller).await.expect_error(400, "invalid_query", "bad status");
        app.get("/api/v1/seller/orders?status=", &seller).await.expect_error(400, "invalid_query", "empty status");

        // Unknown ids: 404.
        for (method, path) in [
            ("GET", "/api/v1/orders/999999".to_owned()),
            ("POST", "/api/v1/orders/999999/cancel".to_owned()),
            ("PATCH", "/api/v1/admin/delivery/999999/confirm".to_owned()),
        ] {
            let token = if method == "PATCH" { &admin } else { &buyer };
            app.call(method, &path, Some(token), None).await.expect_error(404, "not_found", &path);
        }
        app.patch("/api/v1/admin/orders/999999/approve", &admin, Some(json!({"approve": true}))).await.expect_error(
            404,
            "not_found",
            "approve unknown order",
        );
        app.patch("/api/v1/admin/invoices/999999/approve", &admin, Some(json!({"approve": true}))).await.expect_error(
            404,
            "not_found",
            "approve unknown invoice",
        );
        app.post("/api/v1/orders", &buyer, json!({"inventory_id": 999999, "quantity": 1})).await.expect_error(
            404,
            "not_found",
            "order unknown stock",
        );
        app.post("/api/v1/seller/invoice", &seller, json!({"order_id": 999999})).await.expect_error(
            404,
            "not_found",
            "invoice unknown order",
        );
        app.post("/api/v1/feedback", &buyer, json!({"order_id": 999999, "rating": 5})).await.expect_error(
            404,
            "not_found",
            "feedback unknown order",
        );
        // Ids that are not numbers are no route at all.
        app.get("/api/v1/orders/abc", &buyer).await.expect_error(404, "route_not_found", "non-numeric id");
        app.get("/api/v1/orders/1;DROP%20TABLE%20orders", &buyer).await.expect(404, "SQL in the path");

        // Unknown paths and methods.
        app.get("/api/v1/nothing-here", &buyer).await.expect_error(404, "route_not_found", "unknown path");
        app.get("/", &buyer).await.expect_error(404, "route_not_found", "root");
        app.call("DELETE", "/api/v1/orders", Some(&buyer), None).await.expect_error(
            405,
            "method_not_allowed",
            "DELETE",
        );
        app.call("PUT", "/api/v1/seller/inventory", Some(&seller), Some(json!({}))).await.expect_error(
            405,
            "method_not_allowed",
            "PUT",
        );
        app.call("GET", "/api/v1/login", None, None).await.expect_error(405, "method_not_allowed", "GET login");

        // SQL-looking filters find nothing and break nothing.
        for query in ["brand=x'%20OR%20'1'='1", "location=%25", "brand=Jibu';DROP%20TABLE%20stock_items;--"] {
            let reply = app.get(&format!("/api/v1/gas?{query}"), &buyer).await;
            assert_eq!(reply.expect(200, query)["total"], 0, "{query}");
        }

        assert_eq!(snapshot(&app, &seller, &admin, &buyer).await, before, "bad requests changed the data");
        assert_eq!(app.quantity(&seller, item).await, 4);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_looking_and_unicode_text_is_stored_verbatim() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start(backend).await;
        let (_, seller) = app.user("seller@gas.rw", "seller").await;
        let (_, buyer) = app.user("buyer@gas.rw", "buyer").await;
        let sql = "Robert'); DROP TABLE users;--";
        let unicode = "Gaz Énergie 🔥 Ikigo";
        let item = app.stock(&seller, sql, json!("6 kg"), unicode, 2, 500).await;
        let reply = app.get("/api/v1/gas", &buyer).await;
        let listed = &reply.expect(200, "browse")["items"][0];
        assert_eq!((listed["brand"].as_str(), listed["location"].as_str()), (Some(sql), Some(unicode)));
        let filtered = app.get("/api/v1/gas?brand=robert%27)%3B%20drop%20table%20users%3B--", &buyer).await;
        assert_eq!(filtered.expect(200, "filter on the SQL-looking brand")["items"][0]["id"], item);
        let filtered =
            app.get(&format!("/api/v1/gas?location={}", "Gaz%20%C3%89nergie%20%F0%9F%94%A5%20Ikigo"), &buyer).await;
        assert_eq!(filtered.expect(200, "unicode filter")["total"], 1);
        let order = app
            .post(
                "/api/v1/orders",
                &buyer,
                json!({"inventory_id": item, "quantity": 1, "note": "Murakoze cyane 🙏 \"quoted\" \\"}),
            )
            .await;
        let order = order.expect(201, "order with a unicode note").clone();
        assert_eq!(order["note"], "Murakoze cyane 🙏 \"quoted\" \\");
        // The users table survived.
        app.login("seller@gas.rw").await;
        let reply = app
            .call(
                "POST",
                "/api/v1/register",
                None,
                Some(json!({"email": "x@gas.rw", "password": "long enough", "name": "Ikigo 🔥'--", "role": "buyer"})),
            )
            .await;
        assert_eq!(reply.expect(201, "unicode name")["name"], "Ikigo 🔥'--");
    }
}

/// PostgreSQL cannot store NUL in text (it answered 500), and no backend should keep control
/// characters a client slipped into a note: every free-text field refuses them with a 422 and
/// nothing is written, on both backends; line breaks and tabs stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_in_text_are_refused_on_every_backend() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start(backend).await;
        let Market { seller, buyer, admin, item } = app.market().await;
        let before = snapshot(&app, &seller, &admin, &buyer).await;
        for bad in ["a\u{0}b", "a\u{1b}[31mb", "a\u{7f}b"] {
            for field in ["note", "delivery_address"] {
                let reply =
                    app.post("/api/v1/orders", &buyer, json!({"inventory_id": item, "quantity": 1, field: bad})).await;
                reply.expect_error(422, "invalid", &format!("{field} {bad:?}"));
                assert_eq!(reply.body["error"]["details"]["field"], field);
            }
        }
        assert_eq!(snapshot(&app, &seller, &admin, &buyer).await, before, "a refused note changed the data");
        let order = app
            .post(
                "/api/v1/orders",
                &buyer,
                json!({"inventory_id": item, "quantity": 1, "note": "gate 2\n\tring twice"}),
            )
            .await;
        assert_eq!(order.expect(201, "line breaks and tabs are text")["note"], "gate 2\n\tring twice");
        let order_id = order.body["id"].as_i64().unwrap();
        let reason = app
            .patch(
                &format!("/api/v1/admin/orders/{order_id}/approve"),
                &admin,
                Some(json!({"approve": false, "reason": "x\u{0}"})),
            )
            .await;
        reason.expect_error(422, "invalid", "a NUL in a decision's reason");
        assert_eq!(
            app.get(&format!("/api/v1/orders/{order_id}"), &buyer).await.expect(200, "order")["status"],
            "pending"
        );
    }
}

/// Look-alike and invisible characters cannot make a second account for the same address, and
/// a full-width spelling is the same account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn look_alike_emails_make_no_second_account() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start(backend).await;
        app.register("seller@example.rw", "seller").await;
        let register = |email: &str| {
            app.call(
                "POST",
                "/api/v1/register",
                None,
                Some(json!({"email": email, "password": "long enough", "name": "Twin", "role": "buyer"})),
            )
        };
        for look_alike in ["s\u{0435}ller@example.rw", "seller\u{200b}@example.rw", "\u{202e}seller@example.rw"] {
            let reply = register(look_alike).await;
            reply.expect_error(422, "invalid", &format!("{look_alike:?}"));
            assert_eq!(reply.body["error"]["details"]["field"], "email");
        }
        register("ｓｅｌｌｅｒ@example.rw").await.expect(409, "full-width is the same address");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_rules() {
    for backend in Backend::available() {
        let app = App::start(backend).await;
        let register = |body: Value| app.call("POST", "/api/v1/register", None, Some(body));
        let reply =
            register(json!({"email": "new@gas.rw", "password": "long enough", "name": "New", "role": "buyer"})).await;
        let user = reply.expect(201, "register").clone();
        for field in ["id", "email", "name", "role", "phone", "location", "created_at"] {
            assert!(user.get(field).is_some(), "user has {field}: {user}");
        }
        assert!(user.get("password").is_none() && user.get("password_hash").is_none());
        register(json!({"email": "NEW@gas.rw", "password": "long enough", "name": "Again", "role": "seller"}))
            .await
            .expect(409, "duplicate email");
        register(json!({"email": "short@gas.rw", "password": "short", "name": "S", "role": "buyer"}))
            .await
            .expect_error(422, "invalid", "short password");
        let admin =
            register(json!({"email": "root@gas.rw", "password": "long enough", "name": "R", "role": "admin"})).await;
        admin.expect_error(422, "invalid", "admin role");
        assert_eq!(admin.body["error"]["details"]["field"], "role");
        register(json!({"email": "not-an-email", "password": "long enough", "name": "N", "role": "buyer"}))
            .await
            .expect(422, "bad email");
        // The schema's maxLength (254) counts the email as sent, spaces around it included.
        let longest = format!("{}@gas.rw", "a".repeat(254 - "@gas.rw".len()));
        let over =
            register(json!({"email": format!(" {longest}"), "password": "long enough", "name": "L", "role": "buyer"}))
                .await;
        over.expect_error(422, "invalid", "255 characters as sent");
        assert_eq!(over.body["error"]["details"]["field"], "email");
        register(json!({"email": longest, "password": "long enough", "name": "L", "role": "buyer"}))
            .await
            .expect(201, "254 characters");
        register(
            json!({"email": "x@gas.rw", "password": "long enough", "name": "N", "role": "buyer", "is_admin": true}),
        )
        .await
        .expect_error(400, "invalid_body", "unknown field");
        register(json!({"email": "x@gas.rw", "password": "long enough", "name": "N"}))
            .await
            .expect(400, "missing role");
        let login = app
            .call("POST", "/api/v1/login", None, Some(json!({"email": "root@gas.rw", "password": "long enough"})))
            .await;
        login.expect(401, "the refused admin does not exist");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_endpoints_and_request_ids() {
    let app = App::start(Backend::Sqlite).await;
    let health = app.call("GET", "/healthz", None, None).await;
    assert_eq!(health.expect(200, "healthz")["status"], "ok");
    let ready = app.call("GET", "/readyz", None, None).await;
    assert_eq!(ready.expect(200, "readyz")["status"], "ready");
    let id = health.headers["x-request-id"].to_str().unwrap();
    assert!(!id.is_empty());
    assert_ne!(ready.headers["x-request-id"], id, "each request gets its own id");
    let echoed = app.send(app.client.get(app.url("/healthz")).header("X-Request-Id", "trace-123")).await;
    assert_eq!(echoed.headers["x-request-id"], "trace-123");
    // An id that could not be logged safely is replaced by a generated one.
    for unsafe_id in ["has spaces", "semi;colon", &"x".repeat(65)] {
        let replaced = app.send(app.client.get(app.url("/healthz")).header("X-Request-Id", unsafe_id)).await;
        let id = replaced.headers["x-request-id"].to_str().unwrap();
        assert!(id != unsafe_id && !id.is_empty(), "{unsafe_id:?} replaced, got {id:?}");
    }
    let missing = app.call("GET", "/nope", None, None).await;
    assert!(missing.headers.contains_key("x-request-id"), "errors carry a request id too");
    assert_eq!(missing.headers["content-type"], "application/json");
}

/// A POST with `Transfer-Encoding: chunked` (no Content-Length), over a raw socket.
fn chunked_post(addr: std::net::SocketAddr, path: &str, token: &str, body: &[u8]) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    for chunk in body.chunks(8192) {
        // The server may answer and close before reading everything: ignore write errors.
        if stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).is_err()
            || stream.write_all(chunk).is_err()
            || stream.write_all(b"\r\n").is_err()
        {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_database_is_not_ready_and_hides_the_cause() {
    let app = App::start(Backend::Sqlite).await;
    let (_, buyer) = app.user("buyer@gas.rw", "buyer").await;
    app.get("/api/v1/orders", &buyer).await.expect(200, "before");
    app.server.core().store().close().await;
    let ready = app.call("GET", "/readyz", None, None).await;
    ready.expect_error(503, "not_ready", "readyz without a database");
    app.call("GET", "/healthz", None, None).await.expect(200, "the process is still up");
    let reply = app.get("/api/v1/orders", &buyer).await;
    reply.expect_error(500, "internal", "a database error");
    assert_eq!(reply.body["error"]["message"], "internal server error");
    assert!(reply.body["error"]["details"].is_null(), "no cause shown: {}", reply.text);
}
