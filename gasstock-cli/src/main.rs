//! `gasstock`: the admin command line. It parses flags, calls `gasstock-core` and renders the
//! answer; every rule lives in the core. One module per subcommand, each with its args and a
//! `run`; errors become exit codes in one place (`error.rs`).

mod completions;
mod context;
mod decision;
mod delivery;
mod drivers;
mod error;
mod invoices;
mod ledger;
mod momo_sandbox;
mod orders;
mod output;
mod paging;
mod payouts;
mod report;
mod seed;
mod settings;
mod stock;
mod users;
mod webhooks;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::context::Context;
use crate::error::CliError;
use crate::settings::Settings;

/// Admin tools for gasstock: approvals, CSV stock import and reports, straight on the database.
#[derive(Debug, Parser)]
#[command(name = "gasstock", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Accounts: create admins, list users.
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// Review orders.
    #[command(subcommand)]
    Orders(orders::OrdersCommand),
    /// Review invoices.
    #[command(subcommand)]
    Invoices(invoices::InvoicesCommand),
    /// Confirm deliveries (releases the payment).
    #[command(subcommand)]
    Delivery(delivery::DeliveryCommand),
    /// Bulk stock import from CSV.
    #[command(subcommand)]
    Stock(stock::StockCommand),
    /// Sales, stock and seller reports.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// Generate a realistic data set (demos, benchmarks): accounts, stock, a year of orders.
    Seed(seed::SeedArgs),
    /// Seller payouts of mobile-money orders: list them, retry a failed one.
    #[command(subcommand)]
    Payouts(payouts::PayoutsCommand),
    /// Webhooks for integrations: subscribe URLs to status events, see their deliveries.
    #[command(subcommand)]
    Webhooks(webhooks::WebhooksCommand),
    /// Print a shell completion script.
    Completions(completions::CompletionsArgs),
    /// Run the MoMo sandbox (a fake MTN MoMo Open API for demos and tests); no database.
    MomoSandbox(momo_sandbox::MomoSandboxArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A bug must still end as one line and an exit code, never a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        eprintln!("error: internal error (a bug in gasstock): {}", message.replace('\n', " "));
    }));
    match std::panic::catch_unwind(move || run(cli)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(err)) => err.report(),
        Err(_) => ExitCode::from(error::EXIT_INTERNAL),
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    if let Command::Completions(args) = &cli.command {
        return completions::run(args);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| CliError::Io(format!("cannot start the async runtime: {err}")))?;
    if let Command::MomoSandbox(args) = cli.command {
        return runtime.block_on(momo_sandbox::run(args));
    }
    runtime.block_on(async move {
        let ctx = Context::open(&cli.settings).await?;
        let result = match cli.command {
            Command::Users(command) => users::run(&ctx, command).await,
            Command::Orders(command) => orders::run(&ctx, command).await,
            Command::Invoices(command) => invoices::run(&ctx, command).await,
            Command::Delivery(command) => delivery::run(&ctx, command).await,
            Command::Stock(command) => stock::run(&ctx, command).await,
            Command::Report(command) => report::run(&ctx, command).await,
            Command::Seed(args) => seed::run(&ctx, args).await,
            Command::Webhooks(command) => webhooks::run(&ctx, command).await,
            Command::Payouts(command) => payouts::run(&ctx, command).await,
            Command::Completions(_) | Command::MomoSandbox(_) => Ok(()),
        };
        ctx.close().await;
        result
    })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_tree_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
