//! The delivery-time half of the webhook target rule (`domain::WebhookTarget` is the other):
//! every address a host name resolves to is checked right before the connection, and the
//! connection goes to exactly the checked addresses. The HTTP client's resolver is ours, so
//! there is no second lookup between check and connect for a rebinding DNS server to
//! answer differently. System proxy settings are ignored for the same reason: through a
//! proxy, the address connected to would be the proxy's choice, not the checked one.

use std::error::Error as StdError;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::domain::{check_address, AddressRefused};
use crate::error::{Error, Result};

/// One HTTP client for webhooks on public hosts and one for those an admin opted in to a
/// private host; both pool connections across deliveries.
#[derive(Debug, Clone)]
pub(super) struct Clients {
    public: reqwest::Client,
    private: reqwest::Client,
}

impl Clients {
    pub fn new(timeout: Duration) -> Result<Self> {
        let client = |allow_private_host| {
            reqwest::Client::builder()
                .timeout(timeout)
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .dns_resolver(Arc::new(CheckedResolver { allow_private_host }))
                .user_agent(concat!("gasstock-webhooks/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(Error::internal)
        };
        Ok(Clients { public: client(false)?, private: client(true)? })
    }

    pub fn get(&self, allow_private_host: bool) -> &reqwest::Client {
        if allow_private_host {
            &self.private
        } else {
            &self.public
        }
    }
}

/// Resolves with the system resolver and refuses the whole answer if any address is one the
/// rule refuses (a name with one public and one internal address is not a public name).
#[derive(Debug)]
struct CheckedResolver {
    allow_private_host: bool,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private_host = self.allow_private_host;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            for addr in &addrs {
                check_address(addr.ip(), allow_private_host)?;
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// What is recorded of a failed request: what kind of failure, never the connect error's
/// text (refused, reset, unreachable), which would tell an admin which ports answer.
pub(super) fn describe_failure(err: &reqwest::Error, timeout: Duration) -> String {
    let mut source: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<AddressRefused>() {
            return refused.to_string();
        }
        source = cause.source();
    }
    if err.is_timeout() {
        format!("no answer within {}", crate::domain::format_duration(timeout))
    } else if err.is_connect() {
        "could not connect to the receiver".to_owned()
    } else {
        "request failed".to_owned()
    }
}
