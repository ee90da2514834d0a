//! Graceful shutdown: a request in flight finishes, new connections are refused afterwards.

use std::time::Duration;

use gasstock_tests::Backend;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::App;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_in_flight_requests_finish() {
    let App { db: _db, server, .. } = App::start(Backend::Sqlite).await;
    let addr = server.addr();
    let body = br#"{"email":"late@gas.rw","password":"long enough","name":"Late","role":"buyer"}"#;
    let (first, rest) = body.split_at(20);

    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/register HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first).await.unwrap();
    // Give the server a moment to start on the request (ordering only, nothing is timed).
    tokio::time::sleep(Duration::from_millis(200)).await;

    let shutdown = tokio::spawn(server.shutdown());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!shutdown.is_finished(), "shutdown waits for the request in flight");
    stream.write_all(rest).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 201"), "the in-flight request completed: {response}");
    assert!(response.contains("late@gas.rw"));
    shutdown.await.unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "no new connections after shutdown");
}
