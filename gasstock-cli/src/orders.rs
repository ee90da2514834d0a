//! `gasstock orders pending | show | history | approve | reject`.

use clap::{Args, Subcommand};
use gasstock_core::commands::Decision;
use gasstock_core::models::{Order, StatusEvent};
use gasstock_core::Actor;

use crate::context::Context;
use crate::decision::DecisionArgs;
use crate::error::CliError;
use crate::output::{emit, emit_all, kg, opt, time, Listing};
use crate::paging::all_pages;

#[derive(Debug, Subcommand)]
pub enum OrdersCommand {
    /// Orders waiting for approval, oldest first.
    Pending,
    /// One order and its status history.
    Show(IdArgs),
    /// The order's status changes (who, when, from, to, reason), oldest first.
    History(IdArgs),
    /// Approve a pending order.
    Approve(DecisionArgs),
    /// Reject a pending order (its stock goes back).
    Reject(DecisionArgs),
}

#[derive(Debug, Args)]
pub struct IdArgs {
    pub id: i64,
}

pub async fn run(ctx: &Context, command: OrdersCommand) -> Result<(), CliError> {
    let actor = ctx.admin().await?;
    match command {
        OrdersCommand::Pending => {
            let orders = all_pages(|page| ctx.core.pending_orders(&actor, page)).await?;
            emit(ctx.format, &orders, &orders_listing(&orders))
        }
        OrdersCommand::History(args) => {
            let events = ctx.core.order_history(&actor, args.id).await?;
            emit(ctx.format, &events, &events_listing(&events))
        }
        OrdersCommand::Show(args) => {
            let order = ctx.core.order(&actor, args.id).await?;
            let events = ctx.core.order_history(&actor, args.id).await?;
            let json = serde_json::json!({ "order": order, "events": events });
            emit_all(ctx.format, &json, &[&orders_listing(std::slice::from_ref(&order)), &events_listing(&events)])
        }
        OrdersCommand::Approve(args) => decide(ctx, &actor, args.decision(true)).await,
        OrdersCommand::Reject(args) => decide(ctx, &actor, args.decision(false)).await,
    }
}

async fn decide(ctx: &Context, actor: &Actor, (id, decision): (i64, Decision)) -> Result<(), CliError> {
    let order = ctx.core.decide_order(actor, id, &decision).await?;
    emit(ctx.format, &order, &orders_listing(std::slice::from_ref(&order)))
}

fn orders_listing(orders: &[Order]) -> Listing {
    let mut listing = Listing::new(&[
        "id",
        "status",
        "buyer_id",
        "seller_id",
        "inventory_id",
        "brand",
        "weight_kg",
        "location",
        "quantity",
        "unit_price",
        "total_amount",
        "currency",
        "created_at",
        "updated_at",
    ]);
    for order in orders {
        listing.row(vec![
            order.id.to_string(),
            order.status.to_string(),
            order.buyer_id.to_string(),
            order.seller_id.to_string(),
            order.inventory_id.to_string(),
            order.brand.clone(),
            kg(order.weight_kg),
            order.location.clone(),
            order.quantity.to_string(),
            order.unit_price.to_string(),
            order.total_amount.to_string(),
            order.currency.to_string(),
            time(&order.created_at),
            time(&order.updated_at),
        ]);
    }
    listing
}

fn events_listing(events: &[StatusEvent]) -> Listing {
    let mut listing = Listing::new(&["at", "entity", "entity_id", "from", "to", "actor_id", "reason"]);
    for event in events {
        listing.row(vec![
            time(&event.created_at),
            event.entity.clone(),
            event.entity_id.to_string(),
            opt(event.from_status.as_ref()),
            event.to_status.clone(),
            opt(event.actor_id),
            opt(event.reason.as_ref()),
        ]);
    }
    listing
}
