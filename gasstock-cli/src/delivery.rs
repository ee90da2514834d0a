//! `gasstock delivery confirm ORDER_ID`.

use clap::{Args, Subcommand};

use crate::context::Context;
use crate::error::CliError;
use crate::output::{emit, time, Listing};

#[derive(Debug, Subcommand)]
pub enum DeliveryCommand {
    /// Confirm delivery of an order whose invoice is approved; releases its payment.
    Confirm(ConfirmArgs),
}

#[derive(Debug, Args)]
pub struct ConfirmArgs {
    pub order_id: i64,
}

pub async fn run(ctx: &Context, command: DeliveryCommand) -> Result<(), CliError> {
    let actor = ctx.admin().await?;
    let DeliveryCommand::Confirm(args) = command;
    let delivery = ctx.core.confirm_delivery(&actor, args.order_id).await?;
    let mut listing =
        Listing::new(&["order_id", "status", "payment_id", "invoice_id", "amount", "currency", "released_at"]);
    listing.row(vec![
        delivery.order.id.to_string(),
        delivery.order.status.to_string(),
        delivery.payment.id.to_string(),
        delivery.payment.invoice_id.to_string(),
        delivery.payment.amount.to_string(),
        delivery.payment.currency.to_string(),
        time(&delivery.payment.released_at),
    ]);
    emit(ctx.format, &delivery, &listing)
}
