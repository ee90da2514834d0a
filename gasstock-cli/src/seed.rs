//! `gasstock seed --sellers N --items N --orders N [--buyers N] [--password P] [--seed S]`:
//! a realistic, reproducible data set for demos and benchmarks (see `gasstock_core::seed`).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use clap::Args;
use gasstock_core::seed::SeedPlan;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::context::Context;
use crate::error::CliError;
use crate::output::{emit, Listing};

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Seller accounts to create.
    #[arg(long, default_value_t = 20)]
    pub sellers: u32,
    /// Buyer accounts to create (default: ten per seller).
    #[arg(long)]
    pub buyers: Option<u32>,
    /// Stock items, spread over the sellers, brands, weights and locations.
    #[arg(long, default_value_t = 1_000)]
    pub items: u32,
    /// Orders over the past year, in every status, with their invoices, payments and events;
    /// one in four sells new cylinders (deposits), one in three of those delivered has an
    /// accepted return of one empty. Items get empties and a deposit, and open their ledger.
    #[arg(long, default_value_t = 10_000)]
    pub orders: u32,
    /// Password of every seeded account (they are for demos and benchmarks).
    #[arg(long, default_value = "seed-password", hide_default_value = true)]
    pub password: String,
    /// Same seed, same data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// What the command prints.
#[derive(Debug, Serialize)]
struct SeedReport {
    #[serde(flatten)]
    summary: gasstock_core::seed::SeedSummary,
    seconds: f64,
}

pub async fn run(ctx: &Context, args: SeedArgs) -> Result<(), CliError> {
    let plan = SeedPlan {
        sellers: args.sellers,
        buyers: args.buyers.unwrap_or_else(|| args.sellers.saturating_mul(10)),
        items: args.items,
        orders: args.orders,
        password: args.password,
        seed: args.seed,
    };
    let bar = progress_bar(u64::from(plan.items) + u64::from(plan.orders))?;
    let (items, progress_bar) = (u64::from(plan.items), bar.clone());
    let progress = move |stage: &'static str, done: u64| {
        progress_bar.set_message(stage);
        progress_bar.set_position(if stage == "orders" { items + done } else { done });
    };
    let started = Instant::now();
    let result = ctx.core.seed(plan, progress).await;
    bar.finish_and_clear();
    let summary = result?;
    let report = SeedReport { summary, seconds: (started.elapsed().as_secs_f64() * 100.0).round() / 100.0 };
    let s = &report.summary;
    let mut listing = Listing::new(&[
        "users",
        "items",
        "orders",
        "invoices",
        "payments",
        "events",
        "returns",
        "reviews",
        "first_seller",
        "first_buyer",
        "seconds",
    ]);
    listing.row(vec![
        s.users.to_string(),
        s.items.to_string(),
        s.orders.to_string(),
        s.invoices.to_string(),
        s.payments.to_string(),
        s.events.to_string(),
        s.returns.to_string(),
        s.reviews.to_string(),
        s.first_seller.clone(),
        s.first_buyer.clone(),
        format!("{:.2}", report.seconds),
    ]);
    emit(ctx.format, &report, &listing)
}

/// A bar over items then orders on a terminal, nothing when stderr is piped.
fn progress_bar(total: u64) -> Result<ProgressBar, CliError> {
    if !std::io::stderr().is_terminal() {
        return Ok(ProgressBar::hidden());
    }
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template("{spinner} seeding {msg:7} [{bar:40}] {pos}/{len} rows ({per_sec}, {eta})")
            .map_err(|err| CliError::Io(err.to_string()))?
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    Ok(bar)
}
