//! Stream tickets (see the migration `20261202000030_stream_tickets`): stored by hash, taken
//! once by a conditional `DELETE`, so that two server instances on one database cannot both
//! redeem the same ticket.

use chrono::{DateTime, Utc};

use super::db::{now, Sql};
use super::row::{Col, Record, Row};
use super::Store;
use crate::error::Result;

/// What a redeemed ticket stood for: the user and the token that asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketGrant {
    pub user_id: i64,
    /// The `jti` of the token that asked for the ticket.
    pub token_id: String,
    pub token_expires_at: DateTime<Utc>,
}

impl Record for TicketGrant {
    fn decode<R: Row>(row: &R) -> Result<Self> {
        Ok(TicketGrant {
            user_id: row.get(Col::Name("user_id"))?,
            token_id: row.get(Col::Name("token_id"))?,
            token_expires_at: row.get(Col::Name("token_expires_at"))?,
        })
    }
}

impl Store {
    /// Stores a ticket's hash until `expires_at`, and forgets the expired ones.
    pub async fn insert_stream_ticket(&self, hash: &str, grant: TicketGrant, expires_at: DateTime<Utc>) -> Result<()> {
        let at = now();
        let forget = Sql::new("DELETE FROM stream_tickets WHERE expires_at <= $1").bind(at);
        let insert = Sql::new(
            "INSERT INTO stream_tickets (hash, user_id, token_id, token_expires_at, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(hash)
        .bind(grant.user_id)
        .bind(grant.token_id)
        .bind(grant.token_expires_at)
        .bind(expires_at)
        .bind(at);
        self.write(move |mut conn| {
            Box::pin(async move {
                conn.execute(forget).await?;
                conn.execute(insert).await.map(drop)
            })
        })
        .await
    }

    /// Takes the ticket of this hash if it exists and has not expired: the first caller gets
    /// it, every later one (on any instance) `None`.
    pub async fn take_stream_ticket(&self, hash: &str) -> Result<Option<TicketGrant>> {
        let take = Sql::new(
            "DELETE FROM stream_tickets WHERE hash = $1 AND expires_at > $2 \
             RETURNING user_id, token_id, token_expires_at",
        );
        self.write_optional(take.bind(hash).bind(now())).await
    }
}
