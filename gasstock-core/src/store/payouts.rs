//! Seller payouts: queued for delivered mobile-money orders, claimed attempt by attempt,
//! settled once (conditional UPDATEs on the status), listed and reported. Also the seller's
//! `payout_phone`.

use chrono::{DateTime, Utc};

use super::db::{now, on_unique, Sql};
use super::events::{self, Event};
use super::page::select_counted;
use super::{ActorId, Store};
use crate::commands::PageRequest;
use crate::domain::{CollectionStatus, OrderStatus, PaymentMethod, PayoutStatus, StatusChange};
use crate::error::{Error, Result};
use crate::models::{Paged, Payout, PayoutReportRow};

const PAYOUT_COLUMNS: &str =
    "id, order_id, seller_id, reference, collected, commission, deposit_held, amount, currency, status, \
    attempts, next_attempt_at, last_error, provider_transaction_id, created_at, updated_at";

/// A delivered mobile-money order owed a payout: (order, seller, collected, deposit held, currency).
/// The deposit of a new-cylinder sale is owed back to the buyer when they return the
/// cylinder, so the marketplace keeps it (a liability): it is neither paid out nor commissioned.
pub type PayoutCandidate = (i64, i64, i64, i64, String);

/// The final word on a payout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayoutOutcome {
    Paid { transaction_id: Option<String> },
    Failed { reason: String },
}

impl Store {
    /// Delivered mobile-money orders whose payment was collected and that have no payout yet.
    pub async fn payout_candidates(&self, limit: i64) -> Result<Vec<PayoutCandidate>> {
        let sql = Sql::new(
            "SELECT o.id, o.seller_id, c.amount, o.deposit_amount, c.currency FROM orders o \
             JOIN collections c ON c.order_id = o.id AND c.status = $1 \
             WHERE o.status = $2 AND o.payment_method = $3 \
             AND NOT EXISTS (SELECT 1 FROM payouts p WHERE p.order_id = o.id) ORDER BY o.id LIMIT $4",
        )
        .bind(CollectionStatus::Collected)
        .bind(OrderStatus::Delivered)
        .bind(PaymentMethod::MobileMoney)
        .bind(limit);
        self.read_all(sql).await
    }

    /// Queues the payout of one order with a fresh reference; `None` when another instance
    /// queued it first (one payout per order, by a unique key).
    pub async fn queue_payout(&self, candidate: PayoutCandidate, commission: i64) -> Result<Option<Payout>> {
        let (order_id, seller_id, collected, deposit_held, currency) = candidate;
        let amount = collected - deposit_held - commission;
        if commission < 0 || deposit_held < 0 || amount < 0 {
            return Err(Error::internal(format!("commission {commission} of {collected} for order {order_id}")));
        }
        let at = now();
        let insert = Sql::new(format!(
            "INSERT INTO payouts (order_id, seller_id, reference, collected, commission, amount, currency, status, \
             attempts, next_attempt_at, created_at, updated_at, deposit_held) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $9, $9, $10) \
             RETURNING {PAYOUT_COLUMNS}"
        ))
        .bind(order_id)
        .bind(seller_id)
        .bind(uuid::Uuid::new_v4().hyphenated().to_string())
        .bind(collected)
        .bind(commission)
        .bind(amount)
        .bind(currency)
        .bind(PayoutStatus::Queued)
        .bind(at)
        .bind(deposit_held);
        match on_unique(self.write_one::<Payout>(insert).await, "payout_exists", "already queued") {
            Ok(payout) => Ok(Some(payout)),
            Err(Error::Conflict { code: "payout_exists", .. }) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// Queued or sent payouts whose next attempt is due.
    pub async fn due_payouts(&self, at: DateTime<Utc>, limit: i64) -> Result<Vec<Payout>> {
        let sql = Sql::new(format!(
            "SELECT {PAYOUT_COLUMNS} FROM payouts WHERE status IN ($1, $2) AND next_attempt_at <= $3 \
             ORDER BY next_attempt_at, id LIMIT $4"
        ));
        self.read_all(sql.bind(PayoutStatus::Queued).bind(PayoutStatus::Sent).bind(at).bind(limit)).await
    }

    /// Claims the next attempt of a queued payout (it counts before the transfer is sent, so
    /// a crash after sending leaves `attempts > 0`: the outcome is then read, not re-sent).
    /// `None` when another instance claimed it first.
    pub async fn begin_payout_attempt(&self, payout: &Payout, next: DateTime<Utc>) -> Result<Option<Payout>> {
        let sql = Sql::new(format!(
            "UPDATE payouts SET attempts = attempts + 1, next_attempt_at = $1, updated_at = $2 \
             WHERE id = $3 AND attempts = $4 AND status = $5 RETURNING {PAYOUT_COLUMNS}"
        ))
        .bind(next)
        .bind(now())
        .bind(payout.id)
        .bind(payout.attempts)
        .bind(PayoutStatus::Queued);
        self.write_optional(sql).await
    }

    /// The provider accepted the transfer (queued -> sent, no event: nothing is paid yet).
    pub async fn payout_sent(&self, id: i64, next: DateTime<Utc>) -> Result<()> {
        let sql = Sql::new(
            "UPDATE payouts SET status = $1, next_attempt_at = $2, updated_at = $3 WHERE id = $4 AND status = $5",
        );
        let sql = sql.bind(PayoutStatus::Sent).bind(next).bind(now()).bind(id).bind(PayoutStatus::Queued);
        self.write_execute(sql).await.map(drop)
    }

    /// No final word this time: try again at `next`, remembering why.
    pub async fn defer_payout(&self, id: i64, next: DateTime<Utc>, error: &str) -> Result<()> {
        let sql = Sql::new(
            "UPDATE payouts SET next_attempt_at = $1, last_error = $2, updated_at = $3 WHERE id = $4 \
             AND status IN ($5, $6)",
        );
        let sql = sql.bind(next).bind(error).bind(now()).bind(id).bind(PayoutStatus::Queued).bind(PayoutStatus::Sent);
        self.write_execute(sql).await.map(drop)
    }

    /// Settles a payout once, with its `payout.paid|failed` event; `None` if already settled.
    pub async fn settle_payout(&self, id: i64, outcome: PayoutOutcome) -> Result<Option<Payout>> {
        let at = now();
        self.write(move |mut conn| {
            Box::pin(async move {
                let (to, error, transaction_id) = match &outcome {
                    PayoutOutcome::Paid { transaction_id } => (PayoutStatus::Paid, None, transaction_id.clone()),
                    PayoutOutcome::Failed { reason } => (PayoutStatus::Failed, Some(reason.clone()), None),
                };
                for from in [PayoutStatus::Sent, PayoutStatus::Queued] {
                    let settle = Sql::new(format!(
                        "UPDATE payouts SET status = $1, last_error = COALESCE($2, last_error), \
                         provider_transaction_id = $3, updated_at = $4 WHERE id = $5 AND status = $6 \
                         RETURNING {PAYOUT_COLUMNS}"
                    ))
                    .bind(to)
                    .bind(error.clone())
                    .bind(transaction_id.clone())
                    .bind(at)
                    .bind(id)
                    .bind(from);
                    if let Some(payout) = conn.fetch_optional::<Payout>(settle).await? {
                        let change = StatusChange::Payout { from: Some(from), to };
                        let (entity_id, order_id, reason) = (payout.id, payout.order_id, error.as_deref());
                        events::record(
                            &mut conn,
                            Event { change, entity_id, order_id: Some(order_id), actor: None, reason, at },
                        )
                        .await?;
                        return Ok(Some(payout));
                    }
                }
                Ok(None)
            })
        })
        .await
    }

    /// An admin retries a failed payout: queued again under a new reference (the failed one
    /// moved no money, the provider said so).
    pub async fn retry_payout(&self, id: i64) -> Result<Payout> {
        let at = now();
        let sql = Sql::new(format!(
            "UPDATE payouts SET status = $1, reference = $2, attempts = 0, next_attempt_at = $3, last_error = NULL, \
             updated_at = $3 WHERE id = $4 AND status = $5 RETURNING {PAYOUT_COLUMNS}"
        ))
        .bind(PayoutStatus::Queued)
        .bind(uuid::Uuid::new_v4().hyphenated().to_string())
        .bind(at)
        .bind(id)
        .bind(PayoutStatus::Failed);
        if let Some(payout) = self.write_optional::<Payout>(sql).await? {
            return Ok(payout);
        }
        match self.payout(id).await? {
            None => Err(Error::not_found("payout", id)),
            Some(payout) => Err(Error::conflict_with(
                "invalid_state",
                format!("payout is {}: only a failed payout can be retried", payout.status),
                serde_json::json!({ "status": payout.status.as_str(), "required": PayoutStatus::Failed.as_str() }),
            )),
        }
    }

    pub async fn payout(&self, id: i64) -> Result<Option<Payout>> {
        self.read_optional(Sql::new(format!("SELECT {PAYOUT_COLUMNS} FROM payouts WHERE id = $1")).bind(id)).await
    }

    pub async fn order_payout(&self, order_id: i64) -> Result<Option<Payout>> {
        let sql = Sql::new(format!("SELECT {PAYOUT_COLUMNS} FROM payouts WHERE order_id = $1"));
        self.read_optional(sql.bind(order_id)).await
    }

    /// Payouts, newest first, optionally of one status.
    pub async fn list_payouts(&self, status: Option<PayoutStatus>, page: PageRequest) -> Result<Paged<Payout>> {
        self.fetch_page(page, |sql, count_only| {
            select_counted(sql, count_only, PAYOUT_COLUMNS, "payouts WHERE 1 = 1");
            if let Some(status) = status {
                sql.push(" AND status = ").push_bind(status);
            }
            if !count_only {
                sql.push(" ORDER BY id DESC");
            }
        })
        .await
    }

    /// Per seller with payouts: collected, commission, paid, failed and outstanding amounts.
    pub async fn payout_report(&self) -> Result<Vec<PayoutReportRow>> {
        let sum =
            |n: usize| format!("CAST(COALESCE(SUM(CASE WHEN p.status = ${n} THEN p.amount ELSE 0 END), 0) AS BIGINT)");
        let sql = Sql::new(format!(
            "SELECT u.id AS seller_id, u.email AS seller_email, CAST(SUM(p.collected) AS BIGINT) AS collected, \
             CAST(SUM(p.commission) AS BIGINT) AS commission, {} AS paid, {} AS failed, \
             CAST(COALESCE(SUM(CASE WHEN p.status IN ($3, $4) THEN p.amount ELSE 0 END), 0) AS BIGINT) AS outstanding \
             FROM payouts p JOIN users u ON u.id = p.seller_id GROUP BY u.id, u.email ORDER BY u.id",
            sum(1),
            sum(2)
        ));
        let sql =
            sql.bind(PayoutStatus::Paid).bind(PayoutStatus::Failed).bind(PayoutStatus::Queued).bind(PayoutStatus::Sent);
        self.read_all(sql).await
    }

    /// The seller's mobile-money number for payouts (validated by the caller).
    pub async fn set_payout_phone(&self, user_id: ActorId, phone: Option<String>) -> Result<()> {
        let sql = Sql::new("UPDATE users SET payout_phone = $1 WHERE id = $2").bind(phone).bind(user_id);
        match self.write_execute(sql).await? {
            0 => Err(Error::not_found("user", user_id)),
            _ => Ok(()),
        }
    }

    pub async fn payout_phone(&self, user_id: i64) -> Result<Option<String>> {
        let sql = Sql::new("SELECT payout_phone FROM users WHERE id = $1").bind(user_id);
        Ok(self.read_optional::<(Option<String>,)>(sql).await?.and_then(|(phone,)| phone))
    }
}
