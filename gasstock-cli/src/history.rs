//! `gasstock orders history ID`: every status change of an order (who, when, from, to,
//! reason), oldest first, as `GET /api/v1/orders/{id}/history` gives it.

use gasstock_core::Actor;

use crate::context::Context;
use crate::error::CliError;
use crate::orders::events_listing;
use crate::output::emit;

pub async fn run(ctx: &Context, actor: &Actor, order_id: i64) -> Result<(), CliError> {
    let events = ctx.core.order_history(actor, order_id).await?;
    emit(ctx.format, &events, &events_listing(&events))
}
