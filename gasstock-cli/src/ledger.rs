//! `gasstock stock ledger ITEM`, `gasstock stock adjust ITEM` and `gasstock report deposits`:
//! the cylinder side of the stock, for an admin.

use std::collections::BTreeMap;

use clap::{Args, ValueEnum};
use gasstock_core::commands::AdjustmentInput;
use gasstock_core::domain::AdjustmentReason;
use serde::Serialize;

use crate::context::Context;
use crate::error::CliError;
use crate::output::{emit, opt, time, Listing};
use crate::paging::first;

#[derive(Debug, Args)]
pub struct LedgerArgs {
    /// The stock item's id.
    pub item: i64,
    /// Show at most this many lines (the newest).
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Reason {
    Damaged,
    Lost,
    Found,
    Stocktake,
    Correction,
}

#[derive(Debug, Args)]
pub struct AdjustArgs {
    /// The stock item's id.
    pub item: i64,
    /// Change of the full count (e.g. `--full=-2`).
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    pub full: i64,
    /// Change of the empty count.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    pub empty: i64,
    #[arg(long, value_enum)]
    pub reason: Reason,
    #[arg(long)]
    pub note: Option<String>,
}

pub async fn ledger(ctx: &Context, args: LedgerArgs) -> Result<(), CliError> {
    let actor = ctx.admin().await?;
    let lines = first(args.limit, |page| ctx.core.stock_movements(&actor, args.item, page)).await?;
    let mut listing = Listing::new(&[
        "id",
        "created_at",
        "full_delta",
        "empty_delta",
        "reason",
        "order_id",
        "return_id",
        "actor_id",
        "note",
    ]);
    for m in &lines {
        listing.row(vec![
            m.id.to_string(),
            time(&m.created_at),
            m.full_delta.to_string(),
            m.empty_delta.to_string(),
            m.reason.to_string(),
            opt(m.order_id),
            opt(m.return_id),
            opt(m.actor_id),
            opt(m.note.as_ref()),
        ]);
    }
    emit(ctx.format, &lines, &listing)
}

pub async fn adjust(ctx: &Context, args: AdjustArgs) -> Result<(), CliError> {
    let actor = ctx.admin().await?;
    let reason = match args.reason {
        Reason::Damaged => AdjustmentReason::Damaged,
        Reason::Lost => AdjustmentReason::Lost,
        Reason::Found => AdjustmentReason::Found,
        Reason::Stocktake => AdjustmentReason::Stocktake,
        Reason::Correction => AdjustmentReason::Correction,
    };
    let input = AdjustmentInput { full_delta: args.full, empty_delta: args.empty, reason, note: args.note };
    let change = ctx.core.adjust_stock(&actor, args.item, &input).await?;
    let mut listing =
        Listing::new(&["id", "quantity", "empties", "movement_id", "full_delta", "empty_delta", "reason"]);
    listing.row(vec![
        change.item.id.to_string(),
        change.item.quantity.to_string(),
        change.item.empties.to_string(),
        change.movement.id.to_string(),
        change.movement.full_delta.to_string(),
        change.movement.empty_delta.to_string(),
        change.movement.reason.to_string(),
    ]);
    emit(ctx.format, &change, &listing)
}

/// One row of `report deposits`: what one seller holds for one buyer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DepositRow {
    pub seller_id: i64,
    pub buyer_id: i64,
    pub cylinders: i64,
    pub amount: i64,
}

/// `gasstock report deposits`: deposits held per seller and buyer, with the total.
pub async fn deposits_report(ctx: &Context, actor: &gasstock_core::Actor) -> Result<(), CliError> {
    // The report needs the balances only (all of them, whatever the page of entries).
    let deposits = ctx.core.deposits(actor, gasstock_core::commands::PageRequest::default()).await?;
    let mut by_pair: BTreeMap<(i64, i64), (i64, i64)> = BTreeMap::new();
    for b in &deposits.balances {
        let sum = by_pair.entry((b.seller_id, b.buyer_id)).or_default();
        (sum.0, sum.1) = (sum.0 + b.cylinders, sum.1 + b.amount);
    }
    let rows: Vec<DepositRow> = by_pair
        .into_iter()
        .map(|((seller_id, buyer_id), (cylinders, amount))| DepositRow { seller_id, buyer_id, cylinders, amount })
        .collect();
    let mut listing = Listing::new(&["seller_id", "buyer_id", "cylinders", "amount"]);
    for row in &rows {
        listing.row(vec![
            row.seller_id.to_string(),
            row.buyer_id.to_string(),
            row.cylinders.to_string(),
            row.amount.to_string(),
        ]);
    }
    listing.footer.push(vec![
        "TOTAL".into(),
        String::new(),
        deposits.cylinders.to_string(),
        deposits.total.to_string(),
    ]);
    emit(ctx.format, &rows, &listing)
}
