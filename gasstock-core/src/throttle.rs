//! Throttled sign-in and sign-up, so that guessing passwords or probing which emails are
//! registered is slow, while nobody can lock anybody else out.
//!
//! - Sign-in counts failures per **email and client together** (`login:<client>:<email>`):
//!   a stranger's wrong passwords delay only the stranger; the owner signing in from another
//!   client is never held up by them. Plus a budget per client (`login-client:<client>`), so
//!   that one client cannot try many emails quickly.
//! - Sign-up counts every attempt per client (`register:<client>`): a 409 `duplicate_email`
//!   tells whether an address is taken, so probing many addresses is slowed down.
//!
//! Each counter follows [`Backoff`]: a few free attempts, then doubling delays up to a cap.
//! The counters are rows of the database, shared by every server instance. The *client* is
//! whatever string the caller identifies the client by (the server passes the address it
//! resolved, proxies taken into account).

use std::time::Duration;

use chrono::Utc;

use crate::commands::Registration;
use crate::domain::{retry_after_secs, Backoff, Email, Verdict};
use crate::error::{Error, Result};
use crate::models::User;
use crate::service::Gasstock;

/// The throttling rules of sign-in and sign-up. Each default is written once, here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRules {
    /// One email from one client.
    pub login: Backoff,
    /// Failed sign-ins from one client, whatever the email.
    pub login_client: Backoff,
    /// Sign-up attempts from one client, whatever the outcome.
    pub register: Backoff,
}

impl ThrottleRules {
    pub const DEFAULT_LOGIN_FREE: u32 = 5;
    pub const DEFAULT_LOGIN_CLIENT_FREE: u32 = 30;
    pub const DEFAULT_REGISTER_FREE: u32 = 10;
    pub const DEFAULT_DELAY_BASE: Duration = Duration::from_secs(1);
    pub const DEFAULT_DELAY_CAP: Duration = Duration::from_secs(15 * 60);
    pub const DEFAULT_FORGET_AFTER: Duration = Duration::from_secs(15 * 60);

    /// Three rules with the same delays and memory, and their own free attempts.
    pub fn new(free: [u32; 3], base: Duration, cap: Duration, forget_after: Duration) -> Self {
        let rule = |free| Backoff { free, base, cap, forget_after };
        ThrottleRules { login: rule(free[0]), login_client: rule(free[1]), register: rule(free[2]) }
    }
}

impl Default for ThrottleRules {
    fn default() -> Self {
        ThrottleRules::new(
            [Self::DEFAULT_LOGIN_FREE, Self::DEFAULT_LOGIN_CLIENT_FREE, Self::DEFAULT_REGISTER_FREE],
            Self::DEFAULT_DELAY_BASE,
            Self::DEFAULT_DELAY_CAP,
            Self::DEFAULT_FORGET_AFTER,
        )
    }
}

/// A throttled attempt: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait(pub Duration);

impl Wait {
    /// For `Retry-After`: whole seconds, rounded up, at least 1.
    pub fn retry_after_secs(&self) -> u64 {
        retry_after_secs(self.0)
    }
}

/// Keys are bounded whatever a client sends: an email is at most 254 characters, and the
/// client is an address.
fn bounded(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

impl Gasstock {
    /// Sign-in through the throttle: the user, or how long `client` must wait before trying
    /// this email again. Wrong credentials stay the same 401 (`Unauthenticated`).
    pub async fn sign_in(
        &self,
        rules: &ThrottleRules,
        client: &str,
        email: &str,
        password: &str,
    ) -> Result<std::result::Result<User, Wait>> {
        let client = bounded(client, 64);
        let pair = format!("login:{client}:{}", bounded(&Email::sign_in_key(email), Email::MAX_LEN));
        let per_client = format!("login-client:{client}");
        let store = self.store();
        // Counted before the password is checked, so concurrent guesses cannot slip past.
        if let Verdict::Wait(wait) = store.throttle_attempt(&pair, &rules.login, now_ms).await? {
            crate::metrics::throttle_hit("login");
            return Ok(Err(Wait(wait)));
        }
        if let Verdict::Wait(wait) = store.throttle_attempt(&per_client, &rules.login_client, now_ms).await? {
            store.throttle_refund(&pair).await?;
            crate::metrics::throttle_hit("login_client");
            return Ok(Err(Wait(wait)));
        }
        match self.verify_credentials(email, password).await {
            Ok(user) => {
                // This client knows the password: its failures for this email are forgiven,
                // and its attempt does not count against its budget.
                store.throttle_forget(&pair).await?;
                store.throttle_refund(&per_client).await?;
                Ok(Ok(user))
            }
            Err(err @ Error::Unauthenticated(_)) => Err(err),
            Err(err) => {
                // Not a failed guess (the database, say): give both attempts back.
                store.throttle_refund(&pair).await?;
                store.throttle_refund(&per_client).await?;
                Err(err)
            }
        }
    }

    /// Sign-up through the throttle: every attempt from `client` counts (whether it creates
    /// an account, finds the email taken or is invalid), so that probing which emails are
    /// registered is slow.
    pub async fn register_from(
        &self,
        rules: &ThrottleRules,
        client: &str,
        registration: Registration,
    ) -> Result<std::result::Result<User, Wait>> {
        let key = format!("register:{}", bounded(client, 64));
        if let Verdict::Wait(wait) = self.store().throttle_attempt(&key, &rules.register, now_ms).await? {
            crate::metrics::throttle_hit("register");
            return Ok(Err(Wait(wait)));
        }
        self.register(registration).await.map(Ok)
    }
}
