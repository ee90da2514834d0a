//! `--healthcheck`: asks a running server's `GET /readyz` over plain HTTP/1.0, so that a
//! container image needs no HTTP client of its own.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `Ok` when the server listening on `bind` answers `/readyz` with 200. A wildcard bind
/// (`0.0.0.0`, `::`) is asked on the loopback address.
pub async fn ready(bind: SocketAddr) -> Result<(), String> {
    let addr = match bind.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::new(Ipv4Addr::LOCALHOST.into(), bind.port()),
        IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::new(Ipv6Addr::LOCALHOST.into(), bind.port()),
        _ => bind,
    };
    let mut stream = tokio::net::TcpStream::connect(addr).await.map_err(|err| format!("{addr}: {err}"))?;
    let request = format!("GET /readyz HTTP/1.0\r\nHost: {addr}\r\nUser-Agent: gasstock-healthcheck\r\n\r\n");
    stream.write_all(request.as_bytes()).await.map_err(|err| format!("{addr}: {err}"))?;
    let mut answer = Vec::new();
    stream.take(64 * 1024).read_to_end(&mut answer).await.map_err(|err| format!("{addr}: {err}"))?;
    let status_line = answer.split(|byte| *byte == b'\r').next().unwrap_or_default();
    let status_line = String::from_utf8_lossy(status_line);
    match status_line.split(' ').nth(1) {
        Some("200") => Ok(()),
        _ => Err(format!("/readyz answered '{status_line}'")),
    }
}
