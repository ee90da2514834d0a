//! `gasstock-server`: serves the gasstock REST API.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use gasstock_core::webhooks::WorkerConfig;
use gasstock_server::config::{self, resolve_jwt_secret, SecretSource};
use gasstock_server::Config;

/// The gasstock REST API server (API.md). With no configuration it serves the embedded
/// SQLite file `gasstock.db` on 127.0.0.1:8080.
#[derive(Debug, Parser)]
#[command(name = "gasstock-server", version, about)]
struct Args {
    /// Database URL: sqlite://FILE or postgres://USER@HOST/DB.
    #[arg(long, env = "GASSTOCK_DATABASE_URL", default_value = gasstock_core::DEFAULT_DATABASE_URL)]
    database_url: String,

    /// Address to listen on.
    #[arg(long, env = "GASSTOCK_BIND", default_value = config::DEFAULT_BIND)]
    bind: SocketAddr,

    /// HS256 secret for tokens (at least 32 bytes in production). Without it a random secret
    /// is generated once and kept in --jwt-secret-file.
    #[arg(long, env = "GASSTOCK_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,

    /// Where the generated secret is kept when no explicit secret is given.
    #[arg(long, env = "GASSTOCK_JWT_SECRET_FILE", default_value = ".gasstock-jwt-secret")]
    jwt_secret_file: PathBuf,

    /// Token lifetime in seconds.
    #[arg(long, env = "GASSTOCK_TOKEN_TTL_SECS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    token_ttl_secs: u64,

    /// `production` refuses to start without an explicit secret.
    #[arg(long = "env", env = "GASSTOCK_ENV", default_value = "development")]
    environment: String,

    /// Run the webhook delivery worker in this instance (`on`/`off`). Any number of instances
    /// may run one on the same PostgreSQL database: each delivery attempt is claimed once.
    #[arg(long, env = "GASSTOCK_WEBHOOKS", default_value = "on", value_parser = clap::builder::BoolishValueParser::new(),
          action = clap::ArgAction::Set)]
    webhooks: bool,

    /// How often the webhook worker looks for due deliveries, in milliseconds.
    #[arg(long, env = "GASSTOCK_WEBHOOK_POLL_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..))]
    webhook_poll_ms: u64,

    /// Timeout of one webhook delivery, in seconds (at most 30).
    #[arg(long, env = "GASSTOCK_WEBHOOK_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=30))]
    webhook_timeout_secs: u64,

    /// How long a failing webhook delivery is retried (exponential backoff) before it is
    /// marked dead, in seconds.
    #[arg(long, env = "GASSTOCK_WEBHOOK_RETRY_FOR_SECS", default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(1..))]
    webhook_retry_for_secs: u64,

    /// How often each notification stream looks for new notifications, in milliseconds.
    #[arg(long, env = "GASSTOCK_STREAM_POLL_MS", default_value_t = 500, value_parser = clap::value_parser!(u64).range(10..))]
    stream_poll_ms: u64,

    /// Idle seconds after which a notification stream sends a keepalive comment.
    #[arg(long, env = "GASSTOCK_STREAM_HEARTBEAT_SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..))]
    stream_heartbeat_secs: u64,

    /// Log filter (tracing EnvFilter syntax), e.g. `info` or `gasstock_server=debug`.
    #[arg(long, env = "GASSTOCK_LOG", default_value = "info")]
    log: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_new(&args.log).unwrap_or_else(|err| {
        eprintln!("warning: bad --log filter '{}': {err}; using info", args.log);
        tracing_subscriber::EnvFilter::new("info")
    });
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();

    let production = args.environment.eq_ignore_ascii_case("production");
    let secret = match resolve_jwt_secret(args.jwt_secret.as_deref(), production, &args.jwt_secret_file) {
        Ok((secret, source)) => {
            match source {
                SecretSource::Explicit if secret.len() < config::MIN_SECRET_BYTES => tracing::warn!(
                    "GASSTOCK_JWT_SECRET is shorter than {} bytes: production would refuse it",
                    config::MIN_SECRET_BYTES
                ),
                SecretSource::Explicit => {}
                SecretSource::File(path) => {
                    tracing::info!(file = %path.display(), "using the JWT secret kept from an earlier run")
                }
                SecretSource::Generated(path) => tracing::warn!(
                    file = %path.display(),
                    "no GASSTOCK_JWT_SECRET: generated a random JWT secret and saved it; set GASSTOCK_JWT_SECRET in production"
                ),
            }
            secret
        }
        Err(err) => {
            tracing::error!("{err}");
            eprintln!("gasstock-server: {err}");
            return ExitCode::from(2);
        }
    };

    let mut config = Config::new(args.database_url, secret);
    config.bind = args.bind;
    config.token_ttl = Duration::from_secs(args.token_ttl_secs);
    config.stream_poll_interval = Duration::from_millis(args.stream_poll_ms);
    config.stream_heartbeat = Duration::from_secs(args.stream_heartbeat_secs);
    config.webhook_worker = args.webhooks.then(|| WorkerConfig {
        poll_interval: Duration::from_millis(args.webhook_poll_ms),
        request_timeout: Duration::from_secs(args.webhook_timeout_secs),
        retry_for: Duration::from_secs(args.webhook_retry_for_secs),
        ..WorkerConfig::default()
    });
    if config.webhook_worker.is_none() {
        tracing::info!("GASSTOCK_WEBHOOKS=off: this instance delivers no webhooks");
    }
    tracing::info!(database = %config::redact_url(&config.database_url), "opening the database");

    let server = match gasstock_server::start(config).await {
        Ok(server) => server,
        Err(err) => {
            tracing::error!("{err}");
            eprintln!("gasstock-server: {err}");
            return ExitCode::FAILURE;
        }
    };
    let url = server.url();
    tracing::info!("gasstock API listening on {url}/api/v1 (docs: {url}/docs)");
    println!("gasstock-server listening on {url}");
    println!("API docs: {url}/docs  (OpenAPI: {url}/api/v1/openapi.json)");

    shutdown_signal().await;
    tracing::info!("shutting down: finishing in-flight requests");
    server.shutdown().await;
    tracing::info!("stopped");
    ExitCode::SUCCESS
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Args::command().debug_assert();
    }

    #[test]
    fn webhooks_and_streams_are_configurable() {
        let defaults = Args::try_parse_from(["gasstock-server"]).unwrap();
        assert!(defaults.webhooks, "webhooks are delivered by default");
        assert_eq!((defaults.stream_poll_ms, defaults.stream_heartbeat_secs), (500, 15));
        for off in ["off", "false", "0", "no"] {
            let args = Args::try_parse_from(["gasstock-server", "--webhooks", off]).unwrap();
            assert!(!args.webhooks, "{off}");
        }
        assert!(Args::try_parse_from(["gasstock-server", "--webhooks", "sometimes"]).is_err());
        assert!(Args::try_parse_from(["gasstock-server", "--webhook-timeout-secs", "31"]).is_err(), "bounded");
        assert!(Args::try_parse_from(["gasstock-server", "--webhook-timeout-secs", "0"]).is_err());
    }
}
