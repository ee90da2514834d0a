//! One client connection's clock and wire: what it is doing (idle, sending a request head,
//! being served) and until when it may do it, and the socket wrapper that tells the clock when
//! a request starts and gives hyper's own error answers the JSON error body.
//!
//! hyper closes a connection whose head is too long in coming only from the moment it starts
//! waiting for a head, so the idle wait of a keep-alive connection and the head share one
//! timer there; here they are two settings. The request body has its deadline in
//! `serve::TimedBody`; while a request is served (its handler runs, its response is written,
//! a notification stream stays open) the connection has no deadline.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;
use tokio::time::Instant;
use warp::http::StatusCode;

use crate::error::ApiError;

/// The connection timeouts of the settings.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// From the first byte of a request to the end of its head.
    pub header_read: Duration,
    /// How long a connection may wait for its next request (or its first one).
    pub idle: Duration,
    /// From the end of a request's head to the end of its body.
    pub body_read: Duration,
}

/// What a connection is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for a request, closed at the deadline.
    Idle(Instant),
    /// Receiving a request head, closed at the deadline.
    Head(Instant),
    /// A request is being served: no deadline.
    Busy,
}

/// The shared clock of one connection: the socket, the service and the response body move
/// it; [`Clock::expired`] resolves when the connection outstayed its phase.
#[derive(Debug, Clone)]
pub struct Clock {
    phase: watch::Sender<Phase>,
    timeouts: Timeouts,
    /// Set at shutdown: the idle wait after a response is the drain grace, not `idle`.
    drain_grace: Arc<OnceLock<Duration>>,
}

impl Clock {
    pub fn new(timeouts: Timeouts) -> Clock {
        let (phase, _) = watch::channel(Phase::Idle(Instant::now() + timeouts.idle));
        Clock { phase, timeouts, drain_grace: Arc::default() }
    }

    /// Shutdown began: an idle connection has `grace` (if shorter than its idle time left)
    /// to send one more request, and so has each connection after its current response.
    pub fn drain(&self, grace: Duration) {
        let _ = self.drain_grace.set(grace);
        let deadline = Instant::now() + grace;
        self.phase.send_if_modified(|phase| match phase {
            Phase::Idle(idle) if *idle > deadline => {
                *phase = Phase::Idle(deadline);
                true
            }
            _ => false,
        });
    }

    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// Bytes arrived: an idle connection starts receiving a head.
    fn bytes_arrived(&self) {
        let header_read = self.timeouts.header_read;
        self.phase.send_if_modified(|phase| match phase {
            Phase::Idle(_) => {
                *phase = Phase::Head(Instant::now() + header_read);
                true
            }
            _ => false,
        });
    }

    /// hyper has a whole request head: the request is being served.
    pub fn request_started(&self) {
        self.phase.send_replace(Phase::Busy);
    }

    /// The response is written (or abandoned): the connection waits for the next request.
    pub fn response_finished(&self) {
        let wait = self.drain_grace.get().map_or(self.timeouts.idle, |grace| (*grace).min(self.timeouts.idle));
        self.phase.send_replace(Phase::Idle(Instant::now() + wait));
    }

    /// Resolves with the phase whose deadline passed; never while a request is served.
    pub async fn expired(&self) -> Phase {
        let mut phase = self.phase.subscribe();
        loop {
            let now = *phase.borrow_and_update();
            let deadline = match now {
                Phase::Idle(deadline) | Phase::Head(deadline) => deadline,
                Phase::Busy => {
                    // The sender lives as long as `self`.
                    let _ = phase.changed().await;
                    continue;
                }
            };
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => {
                    if *phase.borrow() == now {
                        return now;
                    }
                }
                _ = phase.changed() => {}
            }
        }
    }
}

/// The socket of a connection, as hyper sees it.
#[derive(Debug)]
pub struct Wire<S> {
    inner: S,
    clock: Clock,
    /// A rewritten answer still to be sent (see [`json_error_for`]), and how much of it is out.
    pending: Vec<u8>,
    sent: usize,
}

impl<S> Wire<S> {
    pub fn new(inner: S, clock: Clock) -> Wire<S> {
        Wire { inner, clock, pending: Vec::new(), sent: 0 }
    }
}

impl<S: AsyncWrite + Unpin> Wire<S> {
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.pending.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += n;
        }
        Poll::Ready(Ok(()))
    }

    /// When `head` is one of hyper's own error answers, sends the JSON one instead and says
    /// that hyper's bytes are written.
    fn replaced(&mut self, cx: &mut Context<'_>, head: &[u8], len: usize) -> Option<Poll<io::Result<usize>>> {
        let answer = json_error_for(head)?;
        self.pending = answer;
        self.sent = 0;
        Some(match self.poll_pending(cx) {
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            // The rest goes out on the next write, flush or shutdown.
            _ => Poll::Ready(Ok(len)),
        })
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Wire<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = ready!(Pin::new(&mut this.inner).poll_read(cx, buf));
        if buf.filled().len() > before {
            this.clock.bytes_arrived();
        }
        Poll::Ready(result)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Wire<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        if let Some(result) = this.replaced(cx, buf, buf.len()) {
            return result;
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        if let Some(first) = bufs.iter().find(|buf| !buf.is_empty()) {
            let total = bufs.iter().map(|buf| buf.len()).sum();
            if let Some(result) = this.replaced(cx, first, total) {
                return result;
            }
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

/// hyper answers a request it cannot parse (bad bytes in the path or a header, a malformed
/// `Content-Length`, a head over its buffer) by itself, with an empty body, then closes the
/// connection; it offers no hook for that answer. Such an answer is recognised here: a 4xx
/// head with `content-length: 0` and without the `x-request-id` that every answer of the
/// routes carries. The JSON error body of docs/api.md replaces it, same status, same date.
pub fn json_error_for(bytes: &[u8]) -> Option<Vec<u8>> {
    let end = bytes.windows(4).position(|window| window == b"\r\n\r\n")? + 2;
    let head = std::str::from_utf8(&bytes[..end]).ok()?;
    let status_line = head.strip_prefix("HTTP/1.1 ").or_else(|| head.strip_prefix("HTTP/1.0 "))?;
    let status = StatusCode::from_u16(status_line.get(..3)?.parse().ok()?).ok()?;
    let lower = head.to_ascii_lowercase();
    if !status.is_client_error() || lower.contains("\r\nx-request-id:") || !lower.contains("\r\ncontent-length: 0\r\n")
    {
        return None;
    }
    let error = match status {
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => {
            ApiError::new(status, "headers_too_large", "the request line and headers are too large")
        }
        StatusCode::URI_TOO_LONG => ApiError::new(status, "uri_too_long", "the request target is too long"),
        StatusCode::BAD_REQUEST => ApiError::bad_request(
            "malformed_request",
            "the request could not be parsed (request line, header bytes or Content-Length)",
        ),
        _ => ApiError::new(status, "bad_request", "the request was refused"),
    };
    let body = error.body_json();
    let mut answer = String::with_capacity(end + 128 + body.len());
    for line in head.split("\r\n").filter(|line| !line.is_empty()) {
        let name = line.split(':').next().unwrap_or("").trim().to_ascii_lowercase();
        if !matches!(name.as_str(), "content-length" | "content-type" | "connection") {
            answer.push_str(line);
            answer.push_str("\r\n");
        }
    }
    answer.push_str("content-type: application/json\r\nconnection: close\r\n");
    answer.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let mut answer = answer.into_bytes();
    answer.extend_from_slice(&body);
    Some(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypers_bare_errors_get_the_json_body() {
        let bare = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Tue, 01 Dec 2026 03:00:00 GMT\r\n\r\n";
        let answer = String::from_utf8(json_error_for(bare).unwrap()).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"), "{head}");
        assert!(head.contains("date: Tue, 01 Dec 2026"), "{head}");
        assert!(head.contains(&format!("content-length: {}", body.len())), "{head}");
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["error"]["code"], "headers_too_large");
    }

    #[test]
    fn answers_of_the_routes_and_bodies_are_left_alone() {
        for bytes in [
            &b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\nx-request-id: 1\r\ncontent-length: 0\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 100 Continue\r\n\r\n",
            b"{\"id\": 1}",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n",
        ] {
            assert!(json_error_for(bytes).is_none(), "{}", String::from_utf8_lossy(bytes));
        }
    }
}
