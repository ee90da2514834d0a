//! `gasstock momo-sandbox`: runs the project's MoMo sandbox (gasstock-momo-sandbox) in the
//! foreground for demos, printing the `GASSTOCK_MOMO_*` settings that point a server at it.
//! It needs no database. Each party can be scripted afterwards over HTTP
//! (`PUT /sandbox/script/{msisdn digits}`); the flags set the default behaviour.

use std::io::Write;

use clap::{Args, ValueEnum};
use gasstock_core::domain::parse_duration;
use gasstock_momo_sandbox::{Behaviour, CallbackMethod, Outcome, Sandbox, SandboxConfig};

use crate::error::CliError;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OutcomeArg {
    Successful,
    Failed,
    Pending,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MethodArg {
    Post,
    Put,
}

#[derive(Debug, Args)]
pub struct MomoSandboxArgs {
    /// Address to listen on (port 0: any free port, printed).
    #[arg(long, default_value = "127.0.0.1:8099")]
    pub bind: String,
    /// Where requests end by default.
    #[arg(long, value_enum, default_value = "successful")]
    pub outcome: OutcomeArg,
    /// The reason of a failed request.
    #[arg(long, default_value = "NOT_ENOUGH_FUNDS")]
    pub reason: String,
    /// How long a request stays PENDING (e.g. 5s: time to watch the poller or the callback).
    #[arg(long, default_value = "0ms", value_parser = parse_duration)]
    pub settle_after: std::time::Duration,
    /// Answer the first N requests of each party with 500 (not taken).
    #[arg(long, default_value_t = 0)]
    pub errors_first: u32,
    /// Take the first N requests of each party but answer only after --hang.
    #[arg(long, default_value_t = 0)]
    pub hang_first: u32,
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub hang: std::time::Duration,
    /// Callbacks sent when a request is decided (0: none; 2 or more: duplicates).
    #[arg(long, default_value_t = 1)]
    pub callbacks: u32,
    #[arg(long, value_enum, default_value = "post")]
    pub callback_method: MethodArg,
}

pub async fn run(args: MomoSandboxArgs) -> Result<(), CliError> {
    let default = Behaviour {
        outcome: match args.outcome {
            OutcomeArg::Successful => Outcome::Successful,
            OutcomeArg::Failed => Outcome::Failed,
            OutcomeArg::Pending => Outcome::Pending,
        },
        reason: args.reason,
        settle_after_ms: args.settle_after.as_millis() as u64,
        errors_first: args.errors_first,
        hang_first: args.hang_first,
        hang_ms: args.hang.as_millis() as u64,
        callbacks: args.callbacks,
    };
    let callback_method = match args.callback_method {
        MethodArg::Post => CallbackMethod::Post,
        MethodArg::Put => CallbackMethod::Put,
    };
    let config = SandboxConfig { default, callback_method, ..SandboxConfig::default() };
    let listener = tokio::net::TcpListener::bind(&args.bind)
        .await
        .map_err(|err| CliError::Usage(format!("--bind {}: {err}", args.bind)))?;
    let sandbox = Sandbox::on(listener, config).map_err(|err| CliError::Io(err.to_string()))?;
    let mut out = String::from("# MoMo sandbox running; point gasstock-server at it with:\n");
    for (name, value) in sandbox.env() {
        out.push_str(&format!("export {name}={value}\n"));
    }
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush()).map_err(|err| CliError::Io(err.to_string()))?;
    drop(stdout);
    tokio::signal::ctrl_c().await.map_err(|err| CliError::Io(format!("waiting for Ctrl-C: {err}")))?;
    let stats = sandbox.stats();
    eprintln!(
        "sandbox stopped: {} collection(s), {} transfer(s) taken, {} callback(s) sent",
        stats.collections, stats.transfers, stats.callbacks_sent
    );
    Ok(())
}
