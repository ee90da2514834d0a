//! Bearer tokens: HS256 JWTs with `sub`, `role`, `exp`, `iat` and `jti`, checked on every
//! request against the signature, the expiry, the revocation list and the user's existence.

use std::time::Duration;

use chrono::{DateTime, Utc};
use gasstock_core::domain::Role;
use gasstock_core::models::User;
use gasstock_core::{Actor, Gasstock};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};

/// The claims of a gasstock token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The user's id, as a string (RFC 7519).
    pub sub: String,
    pub role: Role,
    pub exp: i64,
    pub iat: i64,
    /// Unique token id; logout revokes it.
    pub jti: String,
}

/// Signs and checks tokens with one HS256 secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

/// A freshly issued token.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// The caller of an authenticated request.
#[derive(Debug, Clone)]
pub struct Session {
    pub actor: Actor,
    pub claims: Claims,
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
        }
    }

    pub fn issue(&self, user: &User) -> ApiResult<IssuedToken> {
        let now = Utc::now();
        let expires_at = now + chrono::Duration::from_std(self.ttl).map_err(|_| ApiError::internal())?;
        let claims = Claims {
            sub: user.id.to_string(),
            role: user.role,
            exp: expires_at.timestamp(),
            iat: now.timestamp(),
            jti: uuid::Uuid::new_v4().simple().to_string(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|err| {
            tracing::error!(%err, "cannot sign a token");
            ApiError::internal()
        })?;
        Ok(IssuedToken { token, expires_at: DateTime::from_timestamp(claims.exp, 0).unwrap_or(expires_at) })
    }

    /// The claims of a well-signed, unexpired HS256 token.
    pub fn decode(&self, token: &str) -> ApiResult<Claims> {
        use jsonwebtoken::errors::ErrorKind;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map(|data| data.claims).map_err(|err| {
            match err.kind() {
                ErrorKind::ExpiredSignature => ApiError::unauthenticated("token expired: sign in again"),
                _ => ApiError::unauthenticated("invalid token"),
            }
        })
    }
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(header: Option<&str>) -> ApiResult<&str> {
    let header = header.ok_or_else(|| ApiError::unauthenticated("missing Authorization: Bearer token"))?;
    let (scheme, token) =
        header.trim().split_once(' ').ok_or_else(|| ApiError::unauthenticated("expected a Bearer token"))?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ApiError::unauthenticated("expected a Bearer token"));
    }
    Ok(token)
}

/// Checks a request's token: signature, expiry, revocation, and that the user still exists.
/// The role comes from the database, so a changed role takes effect at once.
pub async fn authenticate(core: &Gasstock, keys: &TokenKeys, header: Option<&str>) -> ApiResult<Session> {
    let claims = keys.decode(bearer_token(header)?)?;
    let user_id: i64 = claims.sub.parse().map_err(|_| ApiError::unauthenticated("invalid token"))?;
    let (user, revoked) = tokio::join!(core.user(user_id), core.is_token_revoked(&claims.jti));
    if revoked? {
        return Err(ApiError::unauthenticated("token revoked: sign in again"));
    }
    let user = user?.ok_or_else(|| ApiError::unauthenticated("invalid token"))?;
    Ok(Session { actor: Actor::new(user.id, user.role), claims })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_parsing() {
        assert_eq!(bearer_token(Some("Bearer abc")).unwrap(), "abc");
        assert_eq!(bearer_token(Some("bearer   abc ")).unwrap(), "abc");
        for bad in [None, Some(""), Some("Bearer"), Some("Bearer "), Some("Basic abc"), Some("abc")] {
            assert_eq!(bearer_token(bad).unwrap_err().status, 401, "{bad:?}");
        }
    }

    #[test]
    fn tokens_round_trip_and_other_secrets_fail() {
        let user = User {
            id: 7,
            email: "a@b.rw".into(),
            name: "A".into(),
            role: Role::Seller,
            phone: None,
            location: None,
            created_at: Utc::now(),
        };
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60));
        let issued = keys.issue(&user).unwrap();
        let claims = keys.decode(&issued.token).unwrap();
        assert_eq!((claims.sub.as_str(), claims.role), ("7", Role::Seller));
        assert_eq!(claims.exp - claims.iat, 60);
        let other = TokenKeys::new(b"another secret, also 32 bytes ok", Duration::from_secs(60));
        assert_eq!(other.decode(&issued.token).unwrap_err().status, 401);
    }
}
