//! `gasstock-server`: serves the gasstock REST API. Every setting is a flag and a `GASSTOCK_*`
//! environment variable: see `gasstock-server --help` and [`gasstock_server::Config`].

use std::process::ExitCode;

use gasstock_server::secret::{resolve_jwt_secret, SecretSource, MIN_SECRET_BYTES};
use gasstock_server::Config;

/// jemalloc, not glibc's malloc: thousands of open notification streams each keep hyper's
/// connection buffers (two of 8 KiB) for hours, and glibc's heap, fragmented by them, made
/// every request's allocations slower (with 10,000 streams open a browse request cost the
/// server 9-56% more CPU, run by run). With jemalloc, which keeps blocks of one size class
/// together, most of that cost is gone (on SQLite all of it), and the streams take less
/// memory (BENCHMARKS.md, issue 16).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some(HEALTHCHECK) {
        return healthcheck().await;
    }
    let (mut config, renamed) = Config::from_args();
    gasstock_server::logging::init(&config.log, config.ops.log_format);
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
    let stop = shutdown_signal();

    let server = match gasstock_server::start(config).await {
        Ok(server) => server,
        Err(err) => {
            tracing::error!("{err}");
            eprintln!("gasstock-server: {err}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(metrics) = server.metrics_addr() {
        tracing::info!("metrics on http://{metrics}/metrics");
    }
    let url = server.url();
    tracing::info!("gasstock API listening on {url}/api/v1 (docs: {url}/docs)");
    println!("gasstock-server listening on {url}");
    println!("API docs: {url}/docs  (OpenAPI: {url}/api/v1/openapi.json)");

    stop.await;
    tracing::info!("shutting down: refusing new connections, finishing in-flight requests");
    server.shutdown().await;
    tracing::info!("stopped");
    ExitCode::SUCCESS
}

/// `gasstock-server --healthcheck [SETTINGS]`: exits 0 when the server of these settings
/// (`--bind` / `GASSTOCK_BIND`) answers `GET /readyz` with 200, else 1: the container's
/// HEALTHCHECK, with no curl in the image.
const HEALTHCHECK: &str = "--healthcheck";

async fn healthcheck() -> ExitCode {
    let args = std::env::args().skip(2).collect::<Vec<_>>();
    let config = match Config::try_parse_from(args, true) {
        Ok(config) => config,
        Err(err) => err.exit(),
    };
    match tokio::time::timeout(std::time::Duration::from_secs(5), gasstock_server::probe::ready(config.bind)).await {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(err)) => {
            eprintln!("gasstock-server: not ready: {err}");
            ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!("gasstock-server: not ready: no answer from /readyz within 5s");
            ExitCode::FAILURE
        }
    }
}

/// Ctrl-C or SIGTERM. The handlers are installed when this is called, not when the future is
/// first polled: a signal that arrives while the server starts must stop it gracefully too,
/// not kill it with the default action.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate =
            signal(SignalKind::terminate()).map_err(|err| tracing::error!(%err, "cannot listen for SIGTERM")).ok();
        let mut interrupt =
            signal(SignalKind::interrupt()).map_err(|err| tracing::error!(%err, "cannot listen for Ctrl-C")).ok();
        async move {
            let terminate = async {
                match terminate.as_mut() {
                    Some(terminate) => drop(terminate.recv().await),
                    None => std::future::pending().await,
                }
            };
            let interrupt = async {
                match interrupt.as_mut() {
                    Some(interrupt) => drop(interrupt.recv().await),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = terminate => {}
                _ = interrupt => {}
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    }
}
