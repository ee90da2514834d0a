//! Accepting and serving connections: hyper's HTTP/1 connections with warp's routes as the
//! service, at most `max_connections` at a time, each closed when it idles, sends its head or
//! its body too slowly ([`crate::connection`]), all finished gracefully at shutdown.
//!
//! Shutdown: the listener closes at once (new connections are refused); each request being
//! served, and each one that arrives on an open connection, is answered with
//! `Connection: close`, after which hyper closes the connection; a connection idle at that
//! moment gets [`DRAIN_GRACE`] to send one last request (a client may be sending it right
//! now: closing at once would reset it); whatever is still open after `shutdown_timeout` is
//! closed. Notification streams end by themselves (they watch the same shutdown flag).
//!
//! `warp::serve` offers none of these settings, so the routes are served here the way it
//! serves them (`warp::service` over `hyper::server::conn::http1`).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::time::{Duration, Instant, Sleep};
use tower_service::Service;
use tracing::Instrument;
use warp::http::{Request, Response};
use warp::reply::Response as WarpResponse;
use warp::Filter;

use crate::connection::{Clock, Timeouts, Wire};

/// How the listener serves.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeouts: Timeouts,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// How long open connections may take to finish once shutdown begins.
    pub shutdown_timeout: Duration,
}

/// At shutdown, how long a connection idle at that moment may still send one request.
pub const DRAIN_GRACE: Duration = Duration::from_secs(1);

/// The client's socket address, put into each request's extensions (`extract::ClientAddr`).
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// Serves `routes` on `listener` until `shutdown` resolves, then waits for the connections to
/// finish their requests.
pub async fn serve<F>(listener: TcpListener, routes: F, limits: Limits, shutdown: impl Future<Output = ()>)
where
    F: Filter<Extract = (WarpResponse,), Error = Infallible> + Clone + Send + Sync + 'static,
{
    let capacity = u32::try_from(limits.max_connections.max(1)).unwrap_or(u32::MAX >> 4);
    let slots = Arc::new(Semaphore::new(capacity as usize));
    // `draining`: shutdown began; `closing`: the shutdown timeout passed.
    let (draining, drain) = watch::channel(false);
    let (closing, close) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            accepted = accept(&listener, &slots) => accepted,
        };
        let Some((stream, peer, slot)) = accepted else { continue };
        let clock = Clock::new(limits.timeouts);
        let io = TokioIo::new(Wire::new(stream, clock.clone()));
        let service =
            RouteService { routes: warp::service(routes.clone()), clock: clock.clone(), peer, draining: drain.clone() };
        let connection = hyper::server::conn::http1::Builder::new()
            // The head's timeout is the clock's (hyper's would start with the idle wait).
            .header_read_timeout(None)
            .serve_connection(io, service);
        let (mut drain, mut close) = (drain.clone(), close.clone());
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let mut drained = false;
            loop {
                tokio::select! {
                    result = &mut connection => {
                        if let Err(err) = result {
                            // A client that goes away mid-request (a load generator stopping,
                            // a phone losing signal) is an expected network event.
                            tracing::debug!(%peer, %err, "connection ended with an error");
                        }
                        break;
                    }
                    phase = clock.expired() => {
                        tracing::debug!(%peer, ?phase, "connection timed out: closed");
                        break;
                    }
                    _ = drain.wait_for(|drain| *drain), if !drained => {
                        drained = true;
                        clock.drain(DRAIN_GRACE);
                    }
                    _ = close.wait_for(|close| *close) => break,
                }
            }
            drop(slot);
        });
    }
    drop(listener);
    let _ = draining.send(true);
    // Every connection holds a slot: all slots back means all connections are done.
    if tokio::time::timeout(limits.shutdown_timeout, slots.acquire_many(capacity)).await.is_err() {
        let open = capacity as usize - slots.available_permits();
        tracing::warn!(open, timeout = ?limits.shutdown_timeout, "shutdown timeout: closing the connections still open");
        let _ = closing.send(true);
        let _ = slots.acquire_many(capacity).await;
    }
}

/// The next connection, once a slot is free; `None` after an accept error (logged, and a
/// short pause when the process is out of file descriptors).
async fn accept(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
) -> Option<(tokio::net::TcpStream, SocketAddr, tokio::sync::OwnedSemaphorePermit)> {
    let slot = slots.clone().acquire_owned().await.ok()?;
    match listener.accept().await {
        Ok((stream, peer)) => Some((stream, peer, slot)),
        Err(err) if is_connection_error(&err) => None,
        Err(err) => {
            tracing::error!(%err, "accept error");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            None
        }
    }
}

fn is_connection_error(err: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(err.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset)
}

/// warp's routes as hyper's service, keeping the connection's clock.
#[derive(Debug, Clone)]
struct RouteService<S> {
    routes: S,
    clock: Clock,
    peer: SocketAddr,
    /// `true` once shutdown began: answers then close their connection.
    draining: watch::Receiver<bool>,
}

/// The request's id: its valid `X-Request-Id` or a new one, written back into the request
/// (the routes log and answer it) and put on the request's span, so that every log line of
/// the request carries it.
fn request_id<B>(request: &mut Request<B>) -> String {
    let given = request.headers().get("x-request-id").and_then(|value| value.to_str().ok());
    if let Some(id) = given.filter(|id| valid_request_id(id)) {
        return id.to_owned();
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    if let Ok(value) = warp::http::HeaderValue::from_str(&id) {
        request.headers_mut().insert("x-request-id", value);
    }
    id
}

/// Up to 64 letters, digits and dashes (anything else is replaced, not logged).
pub fn valid_request_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

impl<S, B> hyper::service::Service<Request<Incoming>> for RouteService<S>
where
    S: Service<Request<TimedBody>, Response = Response<B>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Body + Unpin,
{
    type Response = Response<Tracked<B>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        self.clock.request_started();
        let deadline = Instant::now() + self.clock.timeouts().body_read;
        let mut request = request.map(|body| TimedBody { inner: body, deadline, timer: None });
        request.extensions_mut().insert(PeerAddr(self.peer));
        let span = tracing::info_span!("request", request_id = %request_id(&mut request));
        span.in_scope(|| tracing::debug!(method = %request.method(), path = request.uri().path(), "request received"));
        let answer = self.routes.clone().call(request);
        let clock = self.clock.clone();
        let draining = self.draining.clone();
        Box::pin(
            async move {
                let mut response = answer.await?;
                if *draining.borrow() {
                    response.headers_mut().insert("connection", warp::http::HeaderValue::from_static("close"));
                }
                Ok(response.map(|body| Tracked { inner: body, clock: Some(clock) }))
            }
            .instrument(span),
        )
    }
}

/// The request body has until `deadline` to arrive; then it reads as [`BodyTimeout`].
#[derive(Debug)]
pub struct TimedBody {
    inner: Incoming,
    deadline: Instant,
    /// Started only when the body is not all there: most bodies come with their head.
    timer: Option<Pin<Box<Sleep>>>,
}

/// The error of a request body that did not arrive in time (`--body-read-timeout`).
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within the body read timeout")]
pub struct BodyTimeout;

impl Body for TimedBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        let deadline = this.deadline;
        let timer = this.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimeout)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body that tells the connection's clock when it is done (written or dropped).
#[derive(Debug)]
pub struct Tracked<B> {
    inner: B,
    clock: Option<Clock>,
}

impl<B> Drop for Tracked<B> {
    fn drop(&mut self) {
        if let Some(clock) = self.clock.take() {
            clock.response_finished();
        }
    }
}

impl<B: Body + Unpin> Body for Tracked<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
