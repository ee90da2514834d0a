//! A user's notifications (written by `events::record`): listing, marking read, the live
//! streams' replay, and the watcher's read of everything new (for every user at once).

use super::db::{now, Sql};
use super::row::{Col, Record, Row};
use super::Store;
use crate::commands::PageRequest;
use crate::error::Result;
use crate::models::{Notification, Paged};

const NOTIFICATION_COLUMNS: &str =
    "id, event, order_id, inventory_id, invoice_id, payment_id, title, message, created_at, read_at";

impl Store {
    /// A user's notifications, newest first.
    pub async fn list_notifications(
        &self,
        user_id: i64,
        unread_only: bool,
        page: PageRequest,
    ) -> Result<Paged<Notification>> {
        self.fetch_page(page, |sql, count_only| {
            super::page::select_counted(sql, count_only, NOTIFICATION_COLUMNS, "notifications WHERE user_id = ");
            sql.push_bind(user_id);
            if unread_only {
                sql.push(" AND read_at IS NULL");
            }
            if !count_only {
                sql.push(" ORDER BY id DESC");
            }
        })
        .await
    }

    /// Marks one of the user's notifications read; `None` if it is not theirs.
    pub async fn mark_notification_read(&self, user_id: i64, id: i64) -> Result<Option<Notification>> {
        // COALESCE keeps the first reading time when it is marked again.
        let mark = Sql::new(format!(
            "UPDATE notifications SET read_at = COALESCE(read_at, $1) WHERE id = $2 AND user_id = $3 \
             RETURNING {NOTIFICATION_COLUMNS}"
        ));
        self.write_optional(mark.bind(now()).bind(id).bind(user_id)).await
    }

    /// Marks all of the user's notifications read; returns how many changed.
    pub async fn mark_all_notifications_read(&self, user_id: i64) -> Result<u64> {
        let mark = Sql::new("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL");
        self.write_execute(mark.bind(now()).bind(user_id)).await
    }

    /// The user's notifications with an id above `after_id`, oldest first (live streams and
    /// their replay after a reconnect).
    pub async fn notifications_after(&self, user_id: i64, after_id: i64, limit: i64) -> Result<Vec<Notification>> {
        let sql = Sql::new(format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3"
        ));
        self.read_all(sql.bind(user_id).bind(after_id).bind(limit)).await
    }

    /// The id of the user's newest notification, 0 if none.
    pub async fn last_notification_id(&self, user_id: i64) -> Result<i64> {
        let last: Option<i64> =
            self.read_scalar(Sql::new("SELECT MAX(id) FROM notifications WHERE user_id = $1").bind(user_id)).await?;
        Ok(last.unwrap_or(0))
    }

    /// Every notification with an id above `after_id`, whoever it is for, oldest first, at
    /// most `limit` (the watcher's one query per wake-up, on the primary key).
    pub async fn notifications_since(&self, after_id: i64, limit: i64) -> Result<Vec<Addressed>> {
        let sql = Sql::new(format!(
            "SELECT user_id, {NOTIFICATION_COLUMNS} FROM notifications WHERE id > $1 ORDER BY id LIMIT $2"
        ));
        self.read_all(sql.bind(after_id).bind(limit)).await
    }

    /// The newest notification id of anyone, 0 if none.
    pub async fn max_notification_id(&self) -> Result<i64> {
        let last: Option<i64> = self.read_scalar(Sql::new("SELECT MAX(id) FROM notifications")).await?;
        Ok(last.unwrap_or(0))
    }
}

/// A notification and the user it is for.
#[derive(Debug, Clone, PartialEq)]
pub struct Addressed {
    pub user_id: i64,
    pub notification: Notification,
}

impl Record for Addressed {
    fn decode<R: Row>(row: &R) -> Result<Self> {
        Ok(Addressed { user_id: row.get(Col::Name("user_id"))?, notification: Notification::decode(row)? })
    }
}
