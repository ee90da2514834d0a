//! What every request handler shares.

use std::sync::Arc;

use gasstock_core::Gasstock;

use crate::auth::TokenKeys;
use crate::config::Config;
use crate::throttle::LoginThrottle;

#[derive(Debug)]
pub struct AppState {
    pub core: Gasstock,
    pub keys: TokenKeys,
    pub throttle: LoginThrottle,
    pub body_limit: usize,
}

pub type State = Arc<AppState>;

impl AppState {
    pub fn new(config: &Config, core: Gasstock) -> State {
        Arc::new(AppState {
            core,
            keys: TokenKeys::new(&config.jwt_secret, config.token_ttl),
            throttle: LoginThrottle::new(
                config.login_attempts_per_email,
                config.login_attempts_per_client,
                config.login_window,
            ),
            body_limit: config.body_limit,
        })
    }
}
