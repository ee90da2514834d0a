//! Stream tickets: `POST /notifications/stream-ticket` gives a signed-in client a single-use,
//! 60-second ticket with which a browser's `EventSource` (which cannot send an
//! `Authorization` header) opens `GET /notifications/stream?ticket=`. The rules (random,
//! hashed, single use across instances, bound to the user and the token) are the core's
//! (`gasstock_core::notifications::ticket`); here they meet HTTP.

use chrono::{DateTime, Utc};
use gasstock_core::Actor;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Claims, Session};
use crate::endpoint::Endpoint;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::reply::created;
use crate::state::State;

pub fn endpoints() -> Vec<Endpoint> {
    vec![Endpoint::new(__path_stream_ticket, stream_ticket)]
}

/// A stream ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamTicketBody {
    /// Pass as `?ticket=` to `GET /api/v1/notifications/stream`, once, before `expires_at`.
    pub ticket: String,
    /// 60 s from now, or the token's own expiry if sooner.
    pub expires_at: DateTime<Utc>,
}

/// A single-use ticket that opens the caller's notification stream (`?ticket=`), for
/// browsers: `EventSource` cannot send an `Authorization` header, and a token must never be
/// put in a URL. It is valid for 60 s (never beyond the token that asked for it), works once
/// on any server instance of the database (whatever the answer of the request that uses it),
/// opens only the caller's own stream, and the stream ends when that token expires or is
/// revoked.
#[utoipa::path(post, path = "/api/v1/notifications/stream-ticket", tag = "notifications", security(("bearer" = [])),
    responses(
        (status = 201, description = "the ticket", body = StreamTicketBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn stream_ticket(state: State, session: Session) -> ApiResult {
    let token_expires_at =
        DateTime::from_timestamp(session.claims.exp, 0).ok_or_else(|| ApiError::unauthenticated("invalid token"))?;
    let issued = state.core.issue_stream_ticket(&session.actor, &session.claims.jti, token_expires_at).await?;
    created(&StreamTicketBody { ticket: issued.ticket, expires_at: issued.expires_at })
}

/// The session a ticket opens: its user, as of now (role, existence), under the token that
/// asked for it (revoked since: refused). Uses the ticket up.
pub(crate) async fn session_from_ticket(state: &State, ticket: &str) -> ApiResult<Session> {
    let grant = state
        .core
        .redeem_stream_ticket(ticket)
        .await?
        .ok_or_else(|| ApiError::unauthenticated("unknown, used or expired stream ticket: ask for a new one"))?;
    if state.auth_cache.is_revoked(&state.core, &grant.token_id).await? {
        return Err(ApiError::unauthenticated("token revoked: sign in again"));
    }
    let role = state
        .auth_cache
        .role(&state.core, grant.user_id)
        .await?
        .ok_or_else(|| ApiError::unauthenticated("invalid token"))?;
    let claims = Claims {
        sub: grant.user_id.to_string(),
        role,
        exp: grant.token_expires_at.timestamp(),
        iat: Utc::now().timestamp(),
        jti: grant.token_id,
    };
    Ok(Session { actor: Actor::new(grant.user_id, role), claims })
}
