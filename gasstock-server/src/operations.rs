//! The operator's settings: metrics address, CORS origins, log format, shutdown bound
//! (flattened into [`crate::Config`]).

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;

use crate::cors::CorsOrigins;
use crate::duration;

/// Where metrics are served, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsBind(pub Option<SocketAddr>);

impl std::str::FromStr for MetricsBind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim() {
            "" | "off" => Ok(MetricsBind(None)),
            addr => addr
                .parse()
                .map(|addr| MetricsBind(Some(addr)))
                .map_err(|err| format!("'{addr}': {err} (ADDR:PORT or off)")),
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per line, with the fields of the request's span (its `request_id`).
    Json,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Operations")]
pub struct OpsSettings {
    /// Address of the Prometheus metrics endpoint (`GET /metrics`), e.g. 127.0.0.1:9090;
    /// `off` serves none. Never served on --bind, so the public port cannot expose it.
    #[arg(long, env = "GASSTOCK_METRICS_BIND", default_value = "off", value_name = "ADDR|off")]
    pub metrics_bind: MetricsBind,

    /// Web origins (`scheme://host[:port]`, comma-separated) whose pages may call the API
    /// from a browser (CORS); `none` allows no cross-origin call.
    #[arg(long, env = "GASSTOCK_CORS_ORIGINS", default_value = "none", value_name = "ORIGIN,...")]
    pub cors_origins: CorsOrigins,

    /// Log line format: `text` or `json`.
    #[arg(long, env = "GASSTOCK_LOG_FORMAT", default_value = "text", value_enum)]
    pub log_format: LogFormat,

    /// On SIGTERM or Ctrl-C: how long in-flight requests may take to finish before their
    /// connections are closed (new connections are refused at once; streams end at once).
    #[arg(long, env = "GASSTOCK_SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = duration::positive,
          value_name = "DURATION")]
    pub shutdown_timeout: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_bind_is_an_address_or_off() {
        assert_eq!("off".parse::<MetricsBind>().unwrap(), MetricsBind(None));
        assert_eq!("127.0.0.1:9090".parse::<MetricsBind>().unwrap().0, Some("127.0.0.1:9090".parse().unwrap()));
        assert!("localhost".parse::<MetricsBind>().is_err());
    }
}
