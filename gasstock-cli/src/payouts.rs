//! `gasstock payouts list | retry`, and the rows of `gasstock report payouts`.

use clap::{Args, Subcommand, ValueEnum};
use gasstock_core::domain::PayoutStatus;
use gasstock_core::models::Payout;
use gasstock_core::Actor;

use crate::context::Context;
use crate::error::CliError;
use crate::output::{emit, opt, time, Listing};
use crate::paging::all_pages;

#[derive(Debug, Subcommand)]
pub enum PayoutsCommand {
    /// Seller payouts of mobile-money orders, newest first.
    List(ListArgs),
    /// Queue a failed payout again, under a new reference (the payments task sends it).
    Retry(RetryArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StatusArg {
    Queued,
    Sent,
    Paid,
    Failed,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only payouts in this status.
    #[arg(long, value_enum)]
    pub status: Option<StatusArg>,
}

#[derive(Debug, Args)]
pub struct RetryArgs {
    /// The payout's id (`gasstock payouts list`).
    pub id: i64,
}

pub async fn run(ctx: &Context, command: PayoutsCommand) -> Result<(), CliError> {
    let actor = ctx.admin().await?;
    match command {
        PayoutsCommand::List(args) => {
            let status = args.status.map(|status| match status {
                StatusArg::Queued => PayoutStatus::Queued,
                StatusArg::Sent => PayoutStatus::Sent,
                StatusArg::Paid => PayoutStatus::Paid,
                StatusArg::Failed => PayoutStatus::Failed,
            });
            let payouts = all_pages(|page| ctx.core.payouts(&actor, status, page)).await?;
            emit(ctx.format, &payouts, &listing(&payouts))
        }
        PayoutsCommand::Retry(args) => {
            let payout = ctx.core.retry_payout(&actor, args.id).await?;
            emit(ctx.format, &payout, &listing(std::slice::from_ref(&payout)))
        }
    }
}

fn listing(payouts: &[Payout]) -> Listing {
    let mut listing = Listing::new(&[
        "id",
        "order_id",
        "seller_id",
        "status",
        "collected",
        "commission",
        "amount",
        "currency",
        "attempts",
        "last_error",
        "reference",
        "updated_at",
    ]);
    for p in payouts {
        listing.row(vec![
            p.id.to_string(),
            p.order_id.to_string(),
            p.seller_id.to_string(),
            p.status.to_string(),
            p.collected.to_string(),
            p.commission.to_string(),
            p.amount.to_string(),
            p.currency.to_string(),
            p.attempts.to_string(),
            opt(p.last_error.as_ref()),
            p.reference.clone(),
            time(&p.updated_at),
        ]);
    }
    listing
}

/// `gasstock report payouts`: per seller, collected, commission, paid, failed, outstanding.
pub async fn report(ctx: &Context, actor: &Actor) -> Result<(), CliError> {
    let rows = ctx.core.payout_report(actor).await?;
    let mut listing =
        Listing::new(&["seller_id", "seller_email", "collected", "commission", "paid", "failed", "outstanding"]);
    for row in &rows {
        listing.row(vec![
            row.seller_id.to_string(),
            row.seller_email.clone(),
            row.collected.to_string(),
            row.commission.to_string(),
            row.paid.to_string(),
            row.failed.to_string(),
            row.outstanding.to_string(),
        ]);
    }
    emit(ctx.format, &rows, &listing)
}
