//! The signed-in user's notifications: the feed and read marks. The live stream is
//! `stream.rs`.

use gasstock_core::models::Paged;
use gasstock_core::notifications::Notification;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Session;
use crate::endpoint::Endpoint;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{whole_in_query, Id, Query};
use crate::reply::ok;
use crate::state::State;

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(__path_list, list),
        Endpoint::new(__path_mark_read, mark_read),
        Endpoint::new(__path_mark_all_read, mark_all_read),
    ]
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
