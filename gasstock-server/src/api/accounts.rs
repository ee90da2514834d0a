//! Accounts and sessions: sign up, sign in, sign out.

use chrono::{DateTime, Utc};
use gasstock_core::commands::Registration;
use gasstock_core::models::User;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use warp::http::StatusCode;
use warp::Reply;

use crate::auth::Session;
use crate::endpoint::Endpoint;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::reply::{created, ok};
use crate::state::State;
use crate::throttle::{too_many_attempts, ClientKey};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(__path_register, register),
        Endpoint::new(__path_login, login),
        Endpoint::new(__path_logout, logout),
    ]
}

/// `POST /login`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

/// Sign up as a buyer or a seller.
///
/// Throttled per client (every attempt counts): a taken email must answer 409 (the
/// contract), so probing which addresses are registered is slowed down instead; the 409 does
/// not repeat the address.
#[utoipa::path(post, path = "/api/v1/register", tag = "auth", request_body = Registration, responses(
    (status = 201, description = "the new user", body = User),
    (status = 400, description = "not JSON, wrong types, missing or unknown fields", body = ErrorBody),
    (status = 409, description = "email already registered (`duplicate_email`; the message does not repeat the address)", body = ErrorBody),
    (status = 422, description = "invalid email, password under 8 characters, role not buyer/seller", body = ErrorBody),
    (status = 429, description = "too many sign-ups from this client (`too_many_attempts`); see `Retry-After`", body = ErrorBody,
     headers(("Retry-After" = u64, description = "seconds to wait"))),
))]
pub async fn register(state: State, client: ClientKey, Json(body): Json<Registration>) -> ApiResult {
    let user = state.core.register_from(&state.throttle, &client.0, body).await?;
    created(&user.map_err(|wait| too_many_attempts(wait, "sign-up"))?)
}

/// Sign in: a bearer token for the other endpoints.
///
/// Throttled per email and client together (a stranger's failures never hold up the owner
/// signing in from elsewhere) and per client, with doubling delays instead of a lock.
#[utoipa::path(post, path = "/api/v1/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, body = LoginResponse),
    (status = 400, body = ErrorBody),
    (status = 401, description = "wrong email or password (the same answer for both)", body = ErrorBody),
    (status = 429, description = "too many failed attempts for this email from this client, or from this client; see `Retry-After`", body = ErrorBody,
     headers(("Retry-After" = u64, description = "seconds to wait"))),
))]
pub async fn login(state: State, client: ClientKey, Json(body): Json<LoginRequest>) -> ApiResult {
    let user = state.core.sign_in(&state.throttle, &client.0, &body.email, &body.password).await?;
    let user = user.map_err(|wait| too_many_attempts(wait, "login"))?;
    let issued = state.keys.issue(&user)?;
    ok(&LoginResponse { token: issued.token, token_type: "Bearer", expires_at: issued.expires_at, user })
}

/// Sign out: the token is revoked for good.
#[utoipa::path(post, path = "/api/v1/logout", tag = "auth", security(("bearer" = [])), responses(
    (status = 204, description = "the token is revoked"),
    (status = 401, body = ErrorBody),
))]
pub async fn logout(state: State, session: Session) -> ApiResult {
    let expires_at = DateTime::from_timestamp(session.claims.exp, 0).unwrap_or_else(Utc::now);
    state.core.revoke_token(&session.claims.jti, expires_at).await?;
    state.auth_cache.revoked(&session.claims.jti);
    Ok(StatusCode::NO_CONTENT.into_response())
}
