//! The HTTP layer below the routes, over raw TCP: connections that idle or send slowly are
//! closed after their timeout while others keep being served, the connection cap holds, and
//! every answer the server gives before a handler runs (hyper's own, a header that is not
//! text, a method the path does not serve) carries the JSON error body. None of this touches
//! the database, so SQLite only.

use std::time::Duration;

use gasstock_tests::Backend;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{sleep, timeout, Instant};

use crate::support::{assert_error_body, App, Market};

/// What a raw request got back: status, head, body.
struct RawReply {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl RawReply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|err| panic!("not JSON ({err}): {:?} {}", self.head, String::from_utf8_lossy(&self.body)))
    }

    fn header(&self, name: &str) -> Option<String> {
        self.head.split("\r\n").find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
        })
    }

    #[track_caller]
    fn expect_error(&self, status: u16, context: &str) -> Value {
        assert_eq!(self.status, status, "{context}: {}\n{}", self.head, String::from_utf8_lossy(&self.body));
        assert_eq!(self.header("content-type").as_deref(), Some("application/json"), "{context}: {}", self.head);
        let body = self.json();
        assert_error_body(&body, context);
        body
    }
}

/// Sends `request` on a new connection and reads one answer (the server closes or the body
/// is complete per its Content-Length).
async fn raw(app: &App, request: &[u8]) -> RawReply {
    let mut stream = TcpStream::connect(app.server.addr()).await.unwrap();
    stream.write_all(request).await.unwrap();
    read_reply(&mut stream).await
}

async fn read_reply(stream: &mut TcpStream) -> RawReply {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = timeout(Duration::from_secs(10), stream.read(&mut buf)).await.expect("an answer in time").unwrap_or(0);
        bytes.extend_from_slice(&buf[..n]);
        if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
            let length = head
                .split("\r\n")
                .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                .and_then(|v| v.parse::<usize>().ok());
            if length.is_some_and(|length| bytes.len() >= end + 4 + length) || n == 0 {
                let status = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
                let body_end = length.map_or(bytes.len(), |length| (end + 4 + length).min(bytes.len()));
                return RawReply { status, head, body: bytes[end + 4..body_end].to_vec() };
            }
        }
        assert!(n > 0, "connection closed without an answer: {}", String::from_utf8_lossy(&bytes));
    }
}

/// Whether the server closed `stream` (EOF or reset) within `within`; bytes it sends before
/// closing (an error answer) are returned.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let mut seen = Vec::new();
    let deadline = Instant::now() + within;
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(seen),
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// Idle, slow-header and stalled-body connections are closed after their timeouts (and not
/// long before), the stalled body with a 408; meanwhile a client keeps getting answers. Before,
/// the server kept all three open forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slow_connections_are_closed_while_others_are_served() {
    let app = App::start_with(Backend::Sqlite, |config| {
        config.idle_timeout = Duration::from_millis(1500);
        config.header_read_timeout = Duration::from_millis(1500);
        config.body_read_timeout = Duration::from_millis(1500);
    })
    .await;
    let addr = app.server.addr();
    let started = Instant::now();

    let mut idle = TcpStream::connect(addr).await.unwrap();
    let mut slow_head = TcpStream::connect(addr).await.unwrap();
    slow_head.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut stalled_body = TcpStream::connect(addr).await.unwrap();
    stalled_body
        .write_all(b"POST /api/v1/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\"")
        .await
        .unwrap();
    let mut kept_alive = TcpStream::connect(addr).await.unwrap();
    kept_alive.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    assert_eq!(read_reply(&mut kept_alive).await.status, 200, "a first request on the kept-alive connection");

    // The slow head keeps trickling one header byte at a time; a normal client keeps asking.
    let trickle = tokio::spawn(async move {
        let mut sent = 0;
        while slow_head.write_all(b"X").await.is_ok() && sent < 40 {
            sent += 1;
            sleep(Duration::from_millis(100)).await;
        }
        slow_head
    });
    let mut served = 0;
    while started.elapsed() < Duration::from_millis(1000) {
        app.call("GET", "/healthz", None, None).await.expect(200, "healthz while slow clients wait");
        served += 1;
        sleep(Duration::from_millis(50)).await;
    }
    assert!(served >= 5, "normal requests kept answering ({served})");
    // Not closed before their timeout...
    assert!(closed_within(&mut idle, Duration::from_millis(100)).await.is_none(), "idle closed too early");
    assert!(closed_within(&mut kept_alive, Duration::from_millis(100)).await.is_none(), "keep-alive closed too early");

    // ... and closed after it.
    let window = Duration::from_secs(4);
    assert!(closed_within(&mut idle, window).await.is_some(), "a connection that never sent a byte stays open");
    assert!(closed_within(&mut kept_alive, window).await.is_some(), "an idle keep-alive connection stays open");
    let answer = closed_within(&mut stalled_body, window).await.expect("a stalled body keeps its connection");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "a stalled body gets 408: {text}");
    assert!(text.contains("\"request_timeout\""), "with the JSON error body: {text}");
    let mut slow_head = trickle.await.unwrap();
    assert!(closed_within(&mut slow_head, window).await.is_some(), "a slow head keeps its connection");
    assert!(started.elapsed() < Duration::from_secs(8), "closed in time: {:?}", started.elapsed());

    app.call("GET", "/healthz", None, None).await.expect(200, "still serving afterwards");
}

/// At most `max_connections` are served at once: one more waits until an idle one times out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_capped() {
    let app = App::start_with(Backend::Sqlite, |config| {
        config.max_connections = 3;
        config.idle_timeout = Duration::from_millis(1200);
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(app.server.addr()).await.unwrap());
    }
    sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let mut fourth = TcpStream::connect(app.server.addr()).await.unwrap();
    fourth.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let reply = read_reply(&mut fourth).await;
    assert_eq!(reply.status, 200);
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(800), "the fourth connection waited for a slot ({waited:?})");
    assert!(waited < Duration::from_secs(5), "and got one when the idle ones were closed ({waited:?})");
}

/// A header value that is not text (`\xff`) is a 400 with the JSON body, not a 405 from
/// another route of the same path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_utf8_headers_are_a_json_400() {
    let app = App::start(Backend::Sqlite).await;
    let Market { buyer, item, .. } = app.market().await;
    let reply =
        raw(&app, b"GET /api/v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\r\nConnection: close\r\n\r\n")
            .await;
    let body = reply.expect_error(400, "Authorization: Bearer \\xff");
    assert_eq!(body["error"]["code"], "invalid_header");

    let order = format!(r#"{{"inventory_id": {item}, "quantity": 1}}"#);
    let mut request = format!(
        "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {buyer}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\nIdempotency-Key: ",
        order.len()
    )
    .into_bytes();
    request.extend_from_slice(b"\xff\r\n\r\n");
    request.extend_from_slice(order.as_bytes());
    let body = raw(&app, &request).await.expect_error(400, "Idempotency-Key: \\xff");
    assert_eq!(body["error"]["code"], "invalid_header");
    let orders = app.get("/api/v1/orders", &buyer).await;
    assert_eq!(orders.expect(200, "orders")["total"], 0, "no order was placed");
}

/// hyper's own refusals (bad bytes in the path, a malformed Content-Length, a head too large)
/// and 405 carry the JSON error body; 405 says which methods the path takes (`Allow`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_http_layer_refusal_has_the_json_body() {
    let app = App::start(Backend::Sqlite).await;
    for (request, status) in [
        (&b"GET /api/v1/gas\x01 HTTP/1.1\r\nHost: x\r\n\r\n"[..], 400),
        (b"GET /api/\xffv1 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n\r\n{}", 400),
        (b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", 400),
    ] {
        raw(&app, request).await.expect_error(status, &String::from_utf8_lossy(request));
    }
    let mut huge = b"GET /healthz HTTP/1.1\r\nHost: x\r\n".to_vec();
    for n in 0..90 {
        huge.extend_from_slice(format!("X-Filler-{n}: {}\r\n", "y".repeat(8000)).as_bytes());
    }
    huge.extend_from_slice(b"\r\n");
    let body = raw(&app, &huge).await.expect_error(431, "720 KB of headers");
    assert_eq!(body["error"]["code"], "headers_too_large");

    for (method, path, allow) in [
        ("DELETE", "/api/v1/orders", "GET, POST"),
        ("PUT", "/api/v1/seller/inventory/", "GET, POST"),
        ("GET", "/api/v1/login", "POST"),
        ("HEAD", "/api/v1/orders/7", "GET"),
    ] {
        let request = format!("{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        let reply = raw(&app, request.as_bytes()).await;
        let context = format!("{method} {path}");
        assert_eq!(reply.header("allow").as_deref(), Some(allow), "{context}: {}", reply.head);
        if method != "HEAD" {
            assert_eq!(reply.expect_error(405, &context)["error"]["code"], "method_not_allowed");
        } else {
            assert_eq!(reply.status, 405, "{context}");
        }
    }
    app.call("GET", "/healthz", None, None).await.expect(200, "still serving");
}
