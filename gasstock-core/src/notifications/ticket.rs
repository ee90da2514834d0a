//! Stream tickets: how a browser opens the notification stream. `EventSource` cannot send an
//! `Authorization` header, and a long-lived token must never sit in a URL (logs, history,
//! referrers). So a signed-in client asks for a ticket, and opens the stream with
//! `?ticket=`: random, single use, valid [`STREAM_TICKET_TTL`] (never beyond the token that
//! asked for it), bound to that user and token. Only its SHA-256 is stored; redeeming it
//! deletes it in one conditional statement, so it works once across every server instance.

use std::time::Duration;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::policy::Actor;
use crate::store::TicketGrant;
use crate::Gasstock;

/// How long a ticket may wait to be used.
pub const STREAM_TICKET_TTL: Duration = Duration::from_secs(60);

/// Random bytes in a ticket (hex: twice as many characters).
const TICKET_BYTES: usize = 32;

/// A new ticket, to be used once before `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamTicket {
    pub ticket: String,
    pub expires_at: DateTime<Utc>,
}

fn hash(ticket: &str) -> String {
    hex::encode(Sha256::digest(ticket.as_bytes()))
}

impl Gasstock {
    /// A ticket for `actor`'s stream, asked with the token `token_id` (its `jti`), which
    /// expires at `token_expires_at`: the ticket expires no later, and the stream it opens
    /// ends with that token.
    pub async fn issue_stream_ticket(
        &self,
        actor: &Actor,
        token_id: &str,
        token_expires_at: DateTime<Utc>,
    ) -> Result<StreamTicket> {
        let mut bytes = [0u8; TICKET_BYTES];
        OsRng.fill_bytes(&mut bytes);
        let ticket = hex::encode(bytes);
        let ttl = chrono::Duration::from_std(STREAM_TICKET_TTL).map_err(|err| Error::internal(err.to_string()))?;
        // Whole seconds: both backends store them exactly.
        let now = DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap_or_else(Utc::now);
        let expires_at = (now + ttl).min(token_expires_at);
        if expires_at <= now {
            return Err(Error::Unauthenticated("token expired: sign in again".into()));
        }
        let grant = TicketGrant { user_id: actor.user_id, token_id: token_id.to_owned(), token_expires_at };
        self.store().insert_stream_ticket(&hash(&ticket), grant, expires_at).await?;
        Ok(StreamTicket { ticket, expires_at })
    }

    /// Redeems a ticket: what it grants, or `None` when it is unknown, used or expired (the
    /// caller cannot tell which). Nothing that is not a ticket reaches the database.
    pub async fn redeem_stream_ticket(&self, ticket: &str) -> Result<Option<TicketGrant>> {
        let well_formed = ticket.len() == TICKET_BYTES * 2 && ticket.bytes().all(|b| b.is_ascii_hexdigit());
        if !well_formed {
            return Ok(None);
        }
        self.store().take_stream_ticket(&hash(&ticket.to_ascii_lowercase())).await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tickets_are_stored_by_a_hash_that_does_not_reveal_them() {
        let ticket = "ab".repeat(32);
        let stored = super::hash(&ticket);
        assert_eq!(stored.len(), 64);
        assert_ne!(stored, ticket);
        assert_eq!(stored, super::hash(&ticket), "the same ticket finds its row");
    }
}
