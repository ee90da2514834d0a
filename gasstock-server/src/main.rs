//! `gasstock-server`: serves the gasstock REST API. Every setting is a flag and a `GASSTOCK_*`
//! environment variable: see `gasstock-server --help` and [`gasstock_server::Config`].

use std::process::ExitCode;

use gasstock_server::secret::{resolve_jwt_secret, SecretSource, MIN_SECRET_BYTES};
use gasstock_server::Config;

#[tokio::main]
async fn main() -> ExitCode {
    let (mut config, renamed) = Config::from_args();
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log).unwrap_or_else(|err| {
        eprintln!("warning: bad --log filter '{}': {err}; using info", config.log);
        tracing_subscriber::EnvFilter::new("info")
    });
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    for warning in renamed {
        tracing::warn!("{warning}");
    }

    match resolve_jwt_secret(config.jwt_secret.as_ref(), config.is_production(), &config.jwt_secret_file) {
        Ok((secret, source)) => {
            match source {
                SecretSource::Explicit if secret.0.len() < MIN_SECRET_BYTES => tracing::warn!(
                    "GASSTOCK_JWT_SECRET is shorter than {MIN_SECRET_BYTES} bytes: production would refuse it"
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
            config.jwt_secret = Some(secret);
        }
        Err(err) => {
            tracing::error!("{err}");
            eprintln!("gasstock-server: {err}");
            return ExitCode::from(2);
        }
    };
    match gasstock_core::payments::MomoConfig::from_env() {
        Ok(momo) => config.momo = momo,
        Err(err) => {
            eprintln!("gasstock-server: {err}");
            return ExitCode::from(2);
        }
    }
    if config.momo.is_none() {
        tracing::info!(
            "GASSTOCK_MOMO_BASE_URL is not set: mobile-money payments stay requested until a provider is configured"
        );
    }
    if config.webhook_worker.is_none() {
        tracing::info!("GASSTOCK_WEBHOOKS=off: this instance delivers no webhooks");
    }
    tracing::info!(database = %config.database_url, "opening the database");

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
