//! The MoMo adapter's settings, read from the environment (the server and the CLI share
//! them). MoMo gives each product (collection, disbursement) its own subscription key and,
//! usually, its own API user and key; the disbursement ones default to the collection ones.

use std::time::Duration;

use crate::domain::parse_duration;
use crate::error::Error;

/// The variables read by [`MomoConfig::from_env`], for help texts and docs.
pub const MOMO_ENV: [&str; 10] = [
    "GASSTOCK_MOMO_BASE_URL",
    "GASSTOCK_MOMO_COLLECTION_KEY",
    "GASSTOCK_MOMO_DISBURSEMENT_KEY",
    "GASSTOCK_MOMO_API_USER",
    "GASSTOCK_MOMO_API_KEY",
    "GASSTOCK_MOMO_DISBURSEMENT_API_USER",
    "GASSTOCK_MOMO_DISBURSEMENT_API_KEY",
    "GASSTOCK_MOMO_TARGET_ENVIRONMENT",
    "GASSTOCK_MOMO_CALLBACK_URL",
    "GASSTOCK_MOMO_TIMEOUT",
];

/// One product's credentials: the `Ocp-Apim-Subscription-Key` and the API user and key
/// that buy an access token from `/{product}/token/`.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub subscription_key: String,
    pub api_user: String,
    pub api_key: String,
}

/// Secrets stay out of logs.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("api_user", &self.api_user).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MomoConfig {
    /// `https://sandbox.momodeveloper.mtn.com`, `https://proxy.momoapi.mtn.com`, or the
    /// project's sandbox (`gasstock momo-sandbox`); no trailing slash.
    pub base_url: String,
    pub collection: Credentials,
    pub disbursement: Credentials,
    /// `X-Target-Environment`: `sandbox`, or the live environment MTN names (`mtnrwanda`…).
    pub target_environment: String,
    /// `X-Callback-Url` sent with each request, when set: where the provider announces a
    /// final status (the announcement is only a hint to read the status again).
    pub callback_url: Option<String>,
    /// Per HTTP call; a call that takes longer has an unknown outcome.
    pub timeout: Duration,
    /// Calls with no answer (5xx, timeout, connection) are tried this many times in all,
    /// with the same reference, before the outcome is called unknown.
    pub attempts: u32,
    /// The first pause between attempts; it doubles each time.
    pub retry_base: Duration,
}

impl MomoConfig {
    /// Defaults for everything but the address and the credentials.
    pub fn new(base_url: &str, collection: Credentials, disbursement: Credentials) -> MomoConfig {
        MomoConfig {
            base_url: base_url.trim_end_matches('/').to_owned(),
            collection,
            disbursement,
            target_environment: "sandbox".to_owned(),
            callback_url: None,
            timeout: Duration::from_secs(10),
            attempts: 3,
            retry_base: Duration::from_millis(200),
        }
    }

    /// `None` when `GASSTOCK_MOMO_BASE_URL` is unset (mobile money is off); an error naming
    /// the variable when it is set but the rest is incomplete or malformed.
    pub fn from_env() -> Result<Option<MomoConfig>, Error> {
        MomoConfig::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`MomoConfig::from_env`] over any lookup (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<MomoConfig>, Error> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let Some(base_url) = get("GASSTOCK_MOMO_BASE_URL") else { return Ok(None) };
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(Error::invalid("GASSTOCK_MOMO_BASE_URL", format!("'{base_url}' is not an http(s) URL")));
        }
        let need = |name: &'static str| {
            get(name).ok_or_else(|| Error::invalid(name, "is required when GASSTOCK_MOMO_BASE_URL is set"))
        };
        let collection = Credentials {
            subscription_key: need("GASSTOCK_MOMO_COLLECTION_KEY")?,
            api_user: need("GASSTOCK_MOMO_API_USER")?,
            api_key: need("GASSTOCK_MOMO_API_KEY")?,
        };
        let disbursement = Credentials {
            subscription_key: need("GASSTOCK_MOMO_DISBURSEMENT_KEY")?,
            api_user: get("GASSTOCK_MOMO_DISBURSEMENT_API_USER").unwrap_or_else(|| collection.api_user.clone()),
            api_key: get("GASSTOCK_MOMO_DISBURSEMENT_API_KEY").unwrap_or_else(|| collection.api_key.clone()),
        };
        let mut config = MomoConfig::new(&base_url, collection, disbursement);
        if let Some(environment) = get("GASSTOCK_MOMO_TARGET_ENVIRONMENT") {
            config.target_environment = environment;
        }
        if let Some(callback) = get("GASSTOCK_MOMO_CALLBACK_URL") {
            if !(callback.starts_with("http://") || callback.starts_with("https://")) {
                return Err(Error::invalid(
                    "GASSTOCK_MOMO_CALLBACK_URL",
                    format!("'{callback}' is not an http(s) URL"),
                ));
            }
            config.callback_url = Some(callback);
        }
        if let Some(timeout) = get("GASSTOCK_MOMO_TIMEOUT") {
            config.timeout = parse_duration(&timeout)
                .ok()
                .filter(|t| !t.is_zero())
                .ok_or_else(|| Error::invalid("GASSTOCK_MOMO_TIMEOUT", format!("'{timeout}': expected e.g. 10s")))?;
        }
        Ok(Some(config))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Result<Option<MomoConfig>, Error> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        MomoConfig::from_lookup(|name| map.get(name).cloned())
    }

    const FULL: [(&str, &str); 4] = [
        ("GASSTOCK_MOMO_BASE_URL", "http://127.0.0.1:9/"),
        ("GASSTOCK_MOMO_COLLECTION_KEY", "ck"),
        ("GASSTOCK_MOMO_DISBURSEMENT_KEY", "dk"),
        ("GASSTOCK_MOMO_API_USER", "user"),
    ];

    #[test]
    fn unset_is_off_and_partial_is_an_error_naming_the_variable() {
        assert_eq!(from(&[]).unwrap(), None);
        match from(&FULL) {
            Err(Error::Invalid { field, .. }) => assert_eq!(field, "GASSTOCK_MOMO_API_KEY"),
            other => panic!("{other:?}"),
        }
        let mut bad = FULL.to_vec();
        bad.push(("GASSTOCK_MOMO_API_KEY", "k"));
        bad.push(("GASSTOCK_MOMO_TIMEOUT", "10"));
        assert!(matches!(from(&bad), Err(Error::Invalid { field, .. }) if field == "GASSTOCK_MOMO_TIMEOUT"));
    }

    #[test]
    fn disbursement_credentials_default_to_the_collection_ones() {
        let mut pairs = FULL.to_vec();
        pairs.extend([("GASSTOCK_MOMO_API_KEY", "secret"), ("GASSTOCK_MOMO_TIMEOUT", "3s")]);
        let config = from(&pairs).unwrap().unwrap();
        assert_eq!(config.base_url, "http://127.0.0.1:9");
        assert_eq!(config.disbursement.api_user, "user");
        assert_eq!(config.disbursement.api_key, "secret");
        assert_eq!(config.disbursement.subscription_key, "dk");
        assert_eq!(config.target_environment, "sandbox");
        assert_eq!(config.timeout, Duration::from_secs(3));
        assert!(!format!("{config:?}").contains("secret"), "secrets stay out of Debug");
    }
}
