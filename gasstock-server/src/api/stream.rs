//! The live notification stream (Server-Sent Events). What to send, each notification once,
//! is the core's `NotificationFeed` (fed by this instance's one watcher, see
//! `gasstock_core::notifications`); this file renders it as SSE, sends a `: keepalive`
//! comment when idle, and ends the stream when the token expires or is revoked, when the
//! server shuts down, and when the client goes away (the stream's place in the hub is freed
//! with it).

use std::convert::Infallible;
use std::sync::Arc;

use gasstock_core::notifications::{FeedItem, Notification, NotificationFeed, StreamRefused};
use tokio::sync::watch;
use tokio::time::Instant;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::sse::Event;
use warp::{Filter, Reply};

use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{authenticate_cached, Session};
use crate::endpoint::Endpoint;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{optional_header, whole_in_query, FromRequest, Query, RouteContext};
use crate::state::State;

pub fn endpoints() -> Vec<Endpoint> {
    vec![Endpoint::new(__path_stream, stream)]
}

/// `?ticket=&last_event_id=`: how a browser's `EventSource` opens the stream.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// A stream ticket from `POST /api/v1/notifications/stream-ticket` (single use, 60 s),
    /// instead of the `Authorization` header (which wins when both are sent).
    pub ticket: Option<String>,
    /// Like the `Last-Event-ID` header (which wins when both are sent), for a client that
    /// opens a new stream with a new ticket after a disconnection.
    #[serde(default, deserialize_with = "whole_in_query")]
    #[param(minimum = 0)]
    pub last_event_id: Option<i64>,
}

/// Who opens the stream, and after which notification: from the `Authorization` header or a
/// `?ticket=`, and from the `Last-Event-ID` header or `?last_event_id=`. A malformed
/// Last-Event-ID is refused (400) before a ticket is used up.
#[derive(Debug)]
pub struct StreamRequest {
    pub session: Session,
    pub last_event_id: Option<i64>,
}

impl FromRequest for StreamRequest {
    fn filter(route: &RouteContext<'_>) -> BoxedFilter<(Self,)> {
        let state = route.state.clone();
        optional_header("authorization")
            .and(optional_header("last-event-id"))
            .and(Query::<StreamQuery>::filter(route))
            .and_then(
                move |authorization: Option<String>, header_id: Option<String>, Query(query): Query<StreamQuery>| {
                    let state = state.clone();
                    async move {
                        let last_event_id = match parse_last_event_id(header_id.as_deref()) {
                            Err(err) => return Err(warp::reject::custom(err)),
                            Ok(Some(id)) => Some(id),
                            Ok(None) => match query.last_event_id {
                                Some(id) if id < 0 => return Err(warp::reject::custom(negative_query_id())),
                                from_query => from_query,
                            },
                        };
                        let session = match (authorization, query.ticket) {
                            (None, Some(ticket)) => super::stream_ticket::session_from_ticket(&state, &ticket).await,
                            (authorization, _) => {
                                authenticate_cached(
                                    &state.core,
                                    &state.keys,
                                    &state.auth_cache,
                                    authorization.as_deref(),
                                )
                                .await
                            }
                        };
                        session.map(|session| StreamRequest { session, last_event_id }).map_err(warp::reject::custom)
                    }
                },
            )
            .boxed()
    }

    fn responses() -> &'static [(u16, &'static str)] {
        &[
            (400, "a malformed Last-Event-ID or query parameter (`invalid_header`, `invalid_query`)"),
            (422, "a negative `last_event_id` (`invalid`, `details.field`)"),
            (401, "no valid bearer token and no valid stream ticket (`unauthenticated`)"),
        ]
    }
}

/// 422, as for every query parameter out of its bounds.
fn negative_query_id() -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "last_event_id: must be a non-negative integer")
        .with_details(serde_json::json!({ "field": "last_event_id" }))
}

/// The `Last-Event-ID` header: `None` when absent or empty; 400 unless a non-negative integer.
fn parse_last_event_id(header: Option<&str>) -> ApiResult<Option<i64>> {
    match header.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => text.parse::<i64>().ok().filter(|id| *id >= 0).map(Some).ok_or_else(|| {
            ApiError::bad_request("invalid_header", "Last-Event-ID must be a notification id (a non-negative integer)")
                .with_details(serde_json::json!({ "header": "Last-Event-ID" }))
        }),
    }
}

/// 429 when the user holds too many streams, 503 when this instance serves its maximum.
fn refused(refusal: StreamRefused) -> ApiError {
    let message = refusal.to_string();
    match refusal {
        StreamRefused::TooManyForUser { limit } => {
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_streams", message)
                .with_details(serde_json::json!({ "limit": limit }))
        }
        StreamRefused::InstanceFull { limit } => ApiError {
            retry_after_secs: Some(5),
            ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "streams_unavailable", message)
                .with_details(serde_json::json!({ "limit": limit }))
        },
    }
}

/// Live notifications of the signed-in user as Server-Sent Events.
///
/// Each event has `id:` = the notification id, `event:` = its type (`order.approved`, ...)
/// and `data:` = the notification as JSON. With a `Last-Event-ID` header the stream first
/// replays, in order, every notification after that id, then continues live; without one it
/// starts after the user's newest notification. Idle streams get a `: keepalive` comment
/// (every 15 s by default). The stream ends when the token expires or is revoked, and when
/// the server shuts down; clients reconnect with `Last-Event-ID` and miss nothing.
///
/// A browser's `EventSource` cannot send an `Authorization` header: it opens the stream with
/// `?ticket=` from `POST /api/v1/notifications/stream-ticket` (single use, 60 s), and after a
/// disconnection opens a new one with a new ticket and `?last_event_id=`.
///
/// A user may hold a bounded number of streams on an instance (10 by default: 429 beyond),
/// and an instance serves a bounded number in all (503 beyond).
///
/// In the rare case where a notification commits after one with a higher id was already
/// sent (concurrent transactions on PostgreSQL), it is still sent, without an `id:` line,
/// so that the client's last event id never goes backwards and a reconnection repeats
/// nothing.
#[utoipa::path(get, path = "/api/v1/notifications/stream", tag = "notifications",
    security(("bearer" = []), ()),
    params(StreamQuery, ("Last-Event-ID" = Option<i64>, Header, minimum = 0,
        description = "the last notification id received: replay everything after it first")),
    responses(
        (status = 200, description = "`text/event-stream`: one event per notification \
            (`id:` notification id, `event:` type, `data:` the notification as JSON), and `: keepalive` comments",
            content_type = "text/event-stream", body = Notification),
        (status = 400, description = "Last-Event-ID is not a non-negative integer", body = ErrorBody),
        (status = 401, description = "no valid token, and no valid (unused, unexpired) stream ticket", body = ErrorBody),
        (status = 429, description = "the user already holds the most streams allowed (`too_many_streams`, \
            `details.limit`)", body = ErrorBody),
        (status = 503, description = "this instance serves the most streams allowed (`streams_unavailable`, \
            `details.limit`, `Retry-After`)", body = ErrorBody),
    ))]
pub async fn stream(state: State, request: StreamRequest) -> ApiResult {
    let StreamRequest { session, last_event_id } = request;
    let subscription = state.hub.subscribe(&session.actor).map_err(refused)?;
    let feed = state.core.notification_feed(&session.actor, subscription, last_event_id).await?;
    Ok(sse(state, session, feed))
}

/// The response: the feed as events, with keepalives, until one of the ends.
pub(crate) fn sse(state: State, session: Session, feed: NotificationFeed) -> warp::reply::Response {
    let expires = chrono::DateTime::from_timestamp(session.claims.exp, 0)
        .map(|at| (at - chrono::Utc::now()).to_std().unwrap_or_default())
        .map(|left| Instant::now() + left)
        .unwrap_or_else(Instant::now);
    let open = OpenStream {
        heartbeat_at: Instant::now() + state.stream_heartbeat,
        shutdown: state.shutdown.clone(),
        state,
        jti: session.claims.jti,
        expires,
        feed,
    };
    let events = futures::stream::unfold(open, |mut open| async move {
        let event = open.next().await?;
        Some((Ok::<_, Infallible>(event), open))
    });
    let mut response = warp::sse::reply(Shareable(std::sync::Mutex::new(Box::pin(events)))).into_response();
    // Ask reverse proxies (nginx) not to buffer the stream.
    response.headers_mut().insert("x-accel-buffering", warp::http::HeaderValue::from_static("no"));
    response
}

type Events = std::pin::Pin<Box<dyn futures::Stream<Item = Result<Event, Infallible>> + Send>>;

/// warp wants a `Sync` body; the stream is only ever polled through `&mut`, so the mutex is
/// never locked (`get_mut`): it only makes the type `Sync`.
struct Shareable(std::sync::Mutex<Events>);

impl futures::Stream for Shareable {
    type Item = Result<Event, Infallible>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let events = self.get_mut().0.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner());
        events.as_mut().poll_next(cx)
    }
}

/// One open stream: no task of its own, it runs when the connection asks for more.
struct OpenStream {
    state: State,
    jti: String,
    expires: Instant,
    heartbeat_at: Instant,
    shutdown: watch::Receiver<bool>,
    feed: NotificationFeed,
}

impl OpenStream {
    /// The next event, `None` to end the stream.
    async fn next(&mut self) -> Option<Event> {
        loop {
            if *self.shutdown.borrow() {
                return None;
            }
            tokio::select! {
                biased;
                changed = self.shutdown.changed() => if changed.is_err() { return None },
                _ = tokio::time::sleep_until(self.expires) => return None,
                item = self.feed.next() => {
                    let item = match item? {
                        Ok(item) => item,
                        Err(err) => {
                            // The client reconnects with its Last-Event-ID and misses nothing.
                            tracing::warn!(%err, "notification stream: cannot read notifications; ending it");
                            return None;
                        }
                    };
                    let Some(event) = event_for(&item) else { continue };
                    self.heartbeat_at = Instant::now() + self.state.stream_heartbeat;
                    return Some(event);
                }
                _ = tokio::time::sleep_until(self.heartbeat_at) => {
                    match self.state.auth_cache.is_revoked(&self.state.core, &self.jti).await {
                        Ok(true) => return None,
                        Ok(false) => {}
                        Err(err) => tracing::warn!(?err, "notification stream: cannot check the token"),
                    }
                    self.heartbeat_at = Instant::now() + self.state.stream_heartbeat;
                    return Some(Event::default().comment(" keepalive"));
                }
            }
        }
    }
}

fn event_for(item: &FeedItem) -> Option<Event> {
    let notification: &Arc<Notification> = &item.notification;
    let event = Event::default().event(notification.event.clone());
    let event = match event.json_data(&**notification) {
        Ok(event) => event,
        Err(err) => {
            tracing::error!(%err, id = notification.id, "cannot serialize a notification");
            return None;
        }
    };
    Some(if item.in_order { event.id(notification.id.to_string()) } else { event })
}
