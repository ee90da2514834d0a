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
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ClientAddr, Json};
use crate::reply::{created, ok};
use crate::state::State;

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
#[utoipa::path(post, path = "/api/v1/register", tag = "auth", request_body = Registration, responses(
    (status = 201, description = "the new user", body = User),
    (status = 400, description = "not JSON, wrong types, missing or unknown fields", body = ErrorBody),
    (status = 409, description = "email already registered (`duplicate_email`)", body = ErrorBody),
    (status = 422, description = "invalid email, password under 8 characters, role not buyer/seller", body = ErrorBody),
))]
pub async fn register(state: State, Json(body): Json<Registration>) -> ApiResult {
    created(&state.core.register(body).await?)
}

/// Sign in: a bearer token for the other endpoints.
#[utoipa::path(post, path = "/api/v1/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, body = LoginResponse),
    (status = 400, body = ErrorBody),
    (status = 401, description = "wrong email or password (the same answer for both)", body = ErrorBody),
    (status = 429, description = "too many attempts for this email or from this client; see `Retry-After`", body = ErrorBody),
))]
pub async fn login(state: State, ClientAddr(client): ClientAddr, Json(body): Json<LoginRequest>) -> ApiResult {
    let client = client.map(|addr| addr.ip());
    state.throttle.begin(&body.email, client).map_err(ApiError::too_many_attempts)?;
    let user = state.core.verify_credentials(&body.email, &body.password).await?;
    state.throttle.succeeded(&body.email, client);
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
