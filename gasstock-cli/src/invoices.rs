//! `gasstock invoices pending | approve | reject`.

use clap::Subcommand;
use gasstock_core::models::Invoice;

use crate::context::Context;
use crate::decision::DecisionArgs;
use crate::error::CliError;
use crate::output::{emit, opt, time, Listing};
use crate::paging::all_pages;

#[derive(Debug, Subcommand)]
pub enum InvoicesCommand {
    /// Invoices waiting for approval, oldest first.
    Pending,
    /// Approve a pending invoice.
    Approve(DecisionArgs),
    /// Reject a pending invoice (the seller may invoice the order again).
    Reject(DecisionArgs),
}

pub async fn run(ctx: &Context, command: InvoicesCommand) -> Result<(), CliError> {
    let actor = ctx.admin().await?;
    let (id, decision) = match command {
        InvoicesCommand::Pending => {
            let invoices = all_pages(|page| ctx.core.pending_invoices(&actor, page)).await?;
            return emit(ctx.format, &invoices, &invoices_listing(&invoices));
        }
        InvoicesCommand::Approve(args) => args.decision(true),
        InvoicesCommand::Reject(args) => args.decision(false),
    };
    let invoice = ctx.core.decide_invoice(&actor, id, &decision).await?;
    emit(ctx.format, &invoice, &invoices_listing(std::slice::from_ref(&invoice)))
}

fn invoices_listing(invoices: &[Invoice]) -> Listing {
    let mut listing = Listing::new(&[
        "id",
        "order_id",
        "seller_id",
        "status",
        "amount",
        "delivery_fee",
        "currency",
        "notes",
        "created_at",
    ]);
    for invoice in invoices {
        listing.row(vec![
            invoice.id.to_string(),
            invoice.order_id.to_string(),
            invoice.seller_id.to_string(),
            invoice.status.to_string(),
            invoice.amount.to_string(),
            invoice.delivery_fee.to_string(),
            invoice.currency.to_string(),
            opt(invoice.notes.as_ref()),
            time(&invoice.created_at),
        ]);
    }
    listing
}
