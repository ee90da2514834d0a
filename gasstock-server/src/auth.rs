//! Bearer tokens: HS256 JWTs with `sub`, `role`, `exp`, `iat` and `jti`, checked on every
//! request against the signature, the expiry, the revocation list and the user's existence
//! (the last two through [`AuthCache`], at most [`AUTH_CACHE_MAX_AGE`] stale).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

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

/// How stale one instance's view of revocations and of users (existence, role) may be.
///
/// Checking them in the database costs two statements on every request, more than the
/// request's own work for a page read (each sqlx statement costs ~50 us of hand-off here).
/// So each instance keeps the set of revoked token ids and each user's role in memory:
/// - a logout on this instance takes effect on it at once;
/// - a logout on another instance, a deleted user or a changed role takes effect here within
///   `AUTH_CACHE_MAX_AGE` (1 s): a request never trusts a revocation snapshot whose query
///   began longer ago, nor a user entry fetched longer ago; it asks the database instead.
///
/// The revocation set is reloaded in the background (one statement) once it is older than
/// `REFRESH_AFTER`, so under load requests almost never wait for it. The reload reads every
/// unexpired revoked token id: cheap while logouts within one token lifetime number in the
/// thousands, as they do here.
pub const AUTH_CACHE_MAX_AGE: Duration = Duration::from_secs(1);
const REFRESH_AFTER: Duration = Duration::from_millis(250);
/// Cached users beyond this many are dropped all at once (memory stays bounded).
const MAX_CACHED_USERS: usize = 100_000;

#[derive(Debug)]
struct RevokedSnapshot {
    jtis: HashSet<String>,
    /// When the query that produced it began.
    taken_at: Instant,
}

#[derive(Debug, Clone, Copy)]
struct CachedUser {
    role: Option<Role>,
    fetched_at: Instant,
}

/// Revocations and users as this instance last saw them (see [`AUTH_CACHE_MAX_AGE`]).
#[derive(Debug, Default)]
pub struct AuthCache {
    revoked: RwLock<Option<Arc<RevokedSnapshot>>>,
    /// Revoked here since the snapshot was taken; merged until the next snapshot includes them.
    revoked_here: Mutex<HashSet<String>>,
    refreshing: AtomicBool,
    users: RwLock<HashMap<i64, CachedUser>>,
}

impl AuthCache {
    /// A logout on this instance: refused here from now on.
    pub fn revoked(&self, jti: &str) {
        lock(&self.revoked_here).insert(jti.to_owned());
    }

    /// Whether token `jti` is revoked, as this instance knows it (at most
    /// [`AUTH_CACHE_MAX_AGE`] stale): open notification streams ask at each heartbeat.
    pub async fn is_revoked(self: &Arc<Self>, core: &Gasstock, jti: &str) -> ApiResult<bool> {
        if lock(&self.revoked_here).contains(jti) {
            return Ok(true);
        }
        let snapshot = self.revoked.read().unwrap_or_else(|p| p.into_inner()).clone();
        match snapshot {
            Some(snapshot) if snapshot.taken_at.elapsed() < AUTH_CACHE_MAX_AGE => {
                if snapshot.taken_at.elapsed() >= REFRESH_AFTER {
                    self.refresh_in_background(core);
                }
                Ok(snapshot.jtis.contains(jti))
            }
            // Too old (an idle instance, or the reload failing): the database decides.
            _ => {
                self.refresh_in_background(core);
                Ok(core.is_token_revoked(jti).await?)
            }
        }
    }

    fn refresh_in_background(self: &Arc<Self>, core: &Gasstock) {
        if self.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let (cache, core) = (self.clone(), core.clone());
        tokio::spawn(async move {
            let taken_at = Instant::now();
            match core.revoked_token_ids().await {
                Ok(ids) => {
                    let jtis: HashSet<String> = ids.into_iter().collect();
                    // What this instance revoked is in the database now; later ones stay local.
                    lock(&cache.revoked_here).retain(|jti| !jtis.contains(jti));
                    *cache.revoked.write().unwrap_or_else(|p| p.into_inner()) =
                        Some(Arc::new(RevokedSnapshot { jtis, taken_at }));
                }
                Err(err) => tracing::warn!(%err, "cannot reload revoked tokens"),
            }
            cache.refreshing.store(false, Ordering::Release);
        });
    }

    /// The user's role, `None` when the user no longer exists (at most
    /// [`AUTH_CACHE_MAX_AGE`] stale).
    pub async fn role(&self, core: &Gasstock, user_id: i64) -> ApiResult<Option<Role>> {
        let cached = self.users.read().unwrap_or_else(|p| p.into_inner()).get(&user_id).copied();
        if let Some(user) = cached.filter(|user| user.fetched_at.elapsed() < AUTH_CACHE_MAX_AGE) {
            return Ok(user.role);
        }
        let fetched_at = Instant::now();
        let role = core.user(user_id).await?.map(|user| user.role);
        let mut users = self.users.write().unwrap_or_else(|p| p.into_inner());
        if users.len() >= MAX_CACHED_USERS {
            users.clear();
        }
        users.insert(user_id, CachedUser { role, fetched_at });
        Ok(role)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Checks a request's token: signature, expiry, revocation, and that the user still exists,
/// through `cache` (revocations and roles at most [`AUTH_CACHE_MAX_AGE`] old): on the hot
/// path, no statement at all.
pub async fn authenticate_cached(
    core: &Gasstock,
    keys: &TokenKeys,
    cache: &Arc<AuthCache>,
    header: Option<&str>,
) -> ApiResult<Session> {
    let claims = keys.decode(bearer_token(header)?)?;
    let user_id: i64 = claims.sub.parse().map_err(|_| ApiError::unauthenticated("invalid token"))?;
    if cache.is_revoked(core, &claims.jti).await? {
        return Err(ApiError::unauthenticated("token revoked: sign in again"));
    }
    let role = cache.role(core, user_id).await?.ok_or_else(|| ApiError::unauthenticated("invalid token"))?;
    Ok(Session { actor: Actor::new(user_id, role), claims })
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
