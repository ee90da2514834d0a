//! The signed-in user's notifications: the feed, read marks, and a live Server-Sent Events
//! stream. The stream polls the database (so a change made by another server instance or by
//! the CLI arrives too), replays what a reconnecting client missed after its
//! `Last-Event-ID`, and sends a `: keepalive` comment when idle.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::time::Duration;

use gasstock_core::models::Paged;
use gasstock_core::notifications::Notification;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::time::Instant;
use utoipa::{IntoParams, ToSchema};
use warp::filters::BoxedFilter;
use warp::sse::Event;
use warp::{Filter, Reply};

use crate::auth::Session;
use crate::endpoint::Endpoint;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{optional_header, whole_in_query, FromRequest, Id, Query, RouteContext};
use crate::reply::ok;
use crate::state::State;

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(__path_list, list),
        Endpoint::new(__path_mark_read, mark_read),
        Endpoint::new(__path_mark_all_read, mark_all_read),
        Endpoint::new(__path_stream, stream),
    ]
}

/// The `Last-Event-ID` header of a reconnecting stream.
#[derive(Debug)]
pub struct LastEventId(pub Option<String>);

impl FromRequest for LastEventId {
    fn filter(_: &RouteContext<'_>) -> BoxedFilter<(Self,)> {
        optional_header("last-event-id").map(LastEventId).boxed()
    }
}

/// `GET /notifications` filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationsQuery {
    /// `true`: only the unread ones (`true` or `false`, else 400).
    pub unread: Option<bool>,
    /// From 1 (default 1).
    #[serde(default, deserialize_with = "whole_in_query")]
    #[param(minimum = 1, maximum = 10_000_000)]
    pub page: Option<i64>,
    /// From 1 to 100 (default 20).
    #[serde(default, deserialize_with = "whole_in_query")]
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

/// `POST /notifications/read-all`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedRead {
    /// How many notifications were unread and are now read.
    pub marked: u64,
}

/// The caller's own notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(NotificationsQuery),
    security(("bearer" = [])), responses(
        (status = 200, body = Paged<Notification>),
        (status = 400, description = "unknown or malformed query parameter", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 422, description = "bad page or per_page", body = ErrorBody),
    ))]
pub async fn list(state: State, session: Session, Query(query): Query<NotificationsQuery>) -> ApiResult {
    let page = gasstock_core::commands::PageRequest::new(query.page, query.per_page)?;
    let found = state.core.notifications(&session.actor, query.unread.unwrap_or(false), page).await?;
    ok(&found)
}

/// Marks one of the caller's notifications read (again: the first reading time is kept).
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications",
    params(("id" = i64, Path, description = "notification id")), security(("bearer" = [])), responses(
        (status = 200, description = "the notification, with `read_at`", body = Notification),
        (status = 401, body = ErrorBody),
        (status = 404, description = "no such notification among the caller's", body = ErrorBody),
    ))]
pub async fn mark_read(Id(id): Id, state: State, session: Session) -> ApiResult {
    let notification = state.core.mark_notification_read(&session.actor, id).await?;
    ok(&notification)
}

/// Marks all of the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications", security(("bearer" = [])),
    responses(
        (status = 200, description = "how many were marked (0 when none was unread)", body = MarkedRead),
        (status = 401, body = ErrorBody),
    ))]
pub async fn mark_all_read(state: State, session: Session) -> ApiResult {
    let marked = state.core.mark_all_notifications_read(&session.actor).await?;
    ok(&MarkedRead { marked })
}

/// How long a notification id stays "recent": one with a lower id that commits later than it
/// (concurrent transactions on PostgreSQL) is still found and sent within this window.
const LATE_COMMIT_WINDOW: Duration = Duration::from_secs(10);
/// Notifications read per query.
const BATCH: i64 = 500;

/// Live notifications of the signed-in user as Server-Sent Events.
///
/// Each event has `id:` = the notification id, `event:` = its type (`order.approved`, ...)
/// and `data:` = the notification as JSON. With a `Last-Event-ID` header the stream first
/// replays, in order, every notification after that id, then continues live; without one it
/// starts after the user's newest notification. Idle streams get a `: keepalive` comment
/// (every 15 s by default). The stream ends when the token expires or is revoked, and when
/// the server shuts down; clients reconnect with `Last-Event-ID` and miss nothing.
///
/// In the rare case where a notification commits after one with a higher id was already
/// sent (concurrent transactions on PostgreSQL), it is still sent, without an `id:` line,
/// so that the client's last event id never goes backwards and a reconnection repeats
/// nothing.
#[utoipa::path(get, path = "/api/v1/notifications/stream", tag = "notifications", security(("bearer" = [])),
    params(("Last-Event-ID" = Option<i64>, Header, minimum = 0,
        description = "the last notification id received: replay everything after it first")),
    responses(
        (status = 200, description = "`text/event-stream`: one event per notification \
            (`id:` notification id, `event:` type, `data:` the notification as JSON), and `: keepalive` comments",
            content_type = "text/event-stream", body = Notification),
        (status = 400, description = "Last-Event-ID is not a non-negative integer", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn stream(state: State, session: Session, LastEventId(last_event_id): LastEventId) -> ApiResult {
    let start = match last_event_id.as_deref().map(str::trim) {
        None | Some("") => state.core.last_notification_id(&session.actor).await?,
        Some(text) => text.parse::<i64>().ok().filter(|id| *id >= 0).ok_or_else(|| {
            ApiError::bad_request("invalid_header", "Last-Event-ID must be a notification id (a non-negative integer)")
                .with_details(serde_json::json!({ "header": "Last-Event-ID" }))
        })?,
    };
    let (tx, mut rx) = mpsc::channel::<Event>(64);
    tokio::spawn(produce(state, session, start, tx));
    let events = futures::stream::poll_fn(move |cx| rx.poll_recv(cx).map(|event| event.map(Ok::<_, Infallible>)));
    let mut response = warp::sse::reply(events).into_response();
    // Ask reverse proxies (nginx) not to buffer the stream.
    response.headers_mut().insert("x-accel-buffering", warp::http::HeaderValue::from_static("no"));
    Ok(response)
}

/// Feeds one stream until the client goes away, the token expires or is revoked, or the
/// server shuts down.
async fn produce(state: State, session: Session, start: i64, tx: mpsc::Sender<Event>) {
    let actor = session.actor;
    let mut shutdown = state.shutdown.clone();
    let expires = chrono::DateTime::from_timestamp(session.claims.exp, 0)
        .map(|at| (at - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO))
        .map(|left| Instant::now() + left)
        .unwrap_or_else(Instant::now);
    let mut position = StreamPosition::new(start);
    let mut last_write = Instant::now();
    let mut next_poll = Instant::now();
    loop {
        if *shutdown.borrow() {
            return;
        }
        let now = Instant::now();
        if now >= next_poll {
            next_poll = now + state.stream_poll_interval;
            loop {
                let found = match state.core.notifications_after(&actor, position.query_after(), BATCH).await {
                    Ok(found) => found,
                    Err(err) => {
                        tracing::warn!(%err, user_id = actor.user_id, "notification stream: cannot read notifications");
                        break;
                    }
                };
                let full = found.len() as i64 == BATCH;
                let last_seen = found.last().map(|n| n.id);
                for notification in found {
                    let Some(with_id) = position.accept(notification.id, Instant::now()) else { continue };
                    let Some(event) = event_for(&notification, with_id) else { continue };
                    if tx.send(event).await.is_err() {
                        return;
                    }
                    last_write = Instant::now();
                }
                match last_seen {
                    // A long replay: the next batch starts after this one.
                    Some(id) if full => position.skip_to(id),
                    _ => break,
                }
            }
            position.settle(Instant::now());
        }
        if last_write + state.stream_heartbeat <= Instant::now() {
            if tx.send(Event::default().comment(" keepalive")).await.is_err() {
                return;
            }
            last_write = Instant::now();
            match state.core.is_token_revoked(&session.claims.jti).await {
                Ok(true) => return,
                Ok(false) => {}
                Err(err) => tracing::warn!(%err, "notification stream: cannot check the token"),
            }
        }
        let wake = next_poll.min(last_write + state.stream_heartbeat);
        tokio::select! {
            _ = tokio::time::sleep_until(wake) => {}
            _ = tokio::time::sleep_until(expires) => return,
            _ = tx.closed() => return,
            changed = shutdown.changed() => if changed.is_err() { return },
        }
    }
}

/// Where a stream is: what it sent, and from where it must keep looking.
///
/// Notification ids come from one sequence, but on PostgreSQL two transactions can commit in
/// the other order than their ids (a lower id becomes visible after a higher one was sent).
/// So ids sent within [`LATE_COMMIT_WINDOW`] are remembered and the stream keeps reading from
/// below them: a late one is still sent (once). It goes without an `id:` line, so that the
/// client's last event id never goes backwards and a reconnection repeats nothing.
#[derive(Debug)]
struct StreamPosition {
    /// The highest id sent (or replayed from): the client's Last-Event-ID.
    cursor: i64,
    /// Every id at or below this one has been seen (or can no longer appear).
    settled: i64,
    /// Ids above `settled` already sent, and when.
    recent: BTreeMap<i64, Instant>,
}

impl StreamPosition {
    fn new(start: i64) -> Self {
        StreamPosition { cursor: start, settled: start, recent: BTreeMap::new() }
    }

    /// Read notifications with ids above this one.
    fn query_after(&self) -> i64 {
        self.settled
    }

    /// Whether to send notification `id` (already sent: `None`), and with an `id:` line.
    fn accept(&mut self, id: i64, now: Instant) -> Option<bool> {
        if id <= self.settled || self.recent.contains_key(&id) {
            return None;
        }
        self.recent.insert(id, now);
        let in_order = id > self.cursor;
        self.cursor = self.cursor.max(id);
        Some(in_order)
    }

    /// A replay read everything up to `id` in one go.
    fn skip_to(&mut self, id: i64) {
        self.settled = self.settled.max(id);
        self.recent.retain(|sent, _| *sent > self.settled);
    }

    /// Ids sent longer than the window ago settle: nothing below them can still appear.
    fn settle(&mut self, now: Instant) {
        let Some(horizon) = now.checked_sub(LATE_COMMIT_WINDOW) else { return };
        if let Some(newest_settled) = self.recent.iter().filter(|(_, at)| **at <= horizon).map(|(id, _)| *id).max() {
            self.skip_to(newest_settled);
        }
    }
}

fn event_for(notification: &Notification, with_id: bool) -> Option<Event> {
    let event = Event::default().event(notification.event.clone());
    let event = match event.json_data(notification) {
        Ok(event) => event,
        Err(err) => {
            tracing::error!(%err, id = notification.id, "cannot serialize a notification");
            return None;
        }
    };
    Some(if with_id { event.id(notification.id.to_string()) } else { event })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_ids_are_sent_once_with_their_id() {
        let t0 = Instant::now();
        let mut position = StreamPosition::new(10);
        assert_eq!(position.query_after(), 10);
        assert_eq!(position.accept(9, t0), None, "at or before the start: never");
        assert_eq!(position.accept(11, t0), Some(true));
        assert_eq!(position.accept(12, t0), Some(true));
        assert_eq!(position.accept(11, t0), None, "nothing twice");
        assert_eq!(position.cursor, 12);
    }

    #[test]
    fn a_late_commit_is_sent_once_without_moving_the_last_event_id_back() {
        let t0 = Instant::now();
        let mut position = StreamPosition::new(0);
        assert_eq!(position.accept(5, t0), Some(true));
        assert_eq!(position.accept(7, t0), Some(true));
        position.settle(t0 + Duration::from_secs(1));
        assert_eq!(position.query_after(), 0, "still reading below the recent ids");
        // 6 commits after 7 was sent.
        assert_eq!(position.accept(6, t0 + Duration::from_secs(1)), Some(false), "sent, without an id line");
        assert_eq!(position.accept(6, t0 + Duration::from_secs(2)), None);
        assert_eq!(position.cursor, 7, "the client's Last-Event-ID stays 7");
        // After the window everything sent settles.
        position.settle(t0 + LATE_COMMIT_WINDOW + Duration::from_secs(2));
        assert_eq!(position.query_after(), 7);
        assert!(position.recent.is_empty());
        assert_eq!(position.accept(6, t0 + LATE_COMMIT_WINDOW * 2), None);
    }

    #[test]
    fn only_ids_older_than_the_window_settle() {
        let t0 = Instant::now();
        let mut position = StreamPosition::new(0);
        position.accept(1, t0);
        position.accept(2, t0 + LATE_COMMIT_WINDOW);
        position.settle(t0 + LATE_COMMIT_WINDOW + Duration::from_millis(1));
        assert_eq!(position.query_after(), 1);
        assert_eq!(position.recent.keys().copied().collect::<Vec<_>>(), [2]);
        position.skip_to(500);
        assert_eq!((position.query_after(), position.recent.len()), (500, 0));
    }
}
