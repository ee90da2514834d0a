//! `gasstock report sales | stock | sellers | payouts`.

use clap::{Args, Subcommand, ValueEnum};
use gasstock_core::reports::{parse_day, SalesGrouping, SalesQuery, DEFAULT_LOW_STOCK};

use crate::context::Context;
use crate::error::CliError;
use crate::output::{emit, kg, opt, Listing};

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Delivered orders: count, cylinders and revenue per group and currency, with totals.
    Sales(SalesArgs),
    /// Stock per seller, brand, weight and location, flagging low stock.
    Stock(StockArgs),
    /// Orders, deliveries, revenue and average rating per seller.
    Sellers,
    /// Mobile-money payouts per seller: collected, commission, paid, failed, outstanding.
    Payouts,
    /// Cylinder deposits held (owed back to buyers) per seller and buyer, with the total.
    Deposits,
    /// Per seller and driver: dispatched, delivered, failed, median time to deliver.
    Deliveries,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum By {
    Seller,
    Brand,
    Location,
    Day,
}

#[derive(Debug, Args)]
pub struct SalesArgs {
    /// First day (UTC, YYYY-MM-DD) of deliveries to count, inclusive.
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Last day (UTC, YYYY-MM-DD), inclusive.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// How to group.
    #[arg(long, value_enum, default_value_t = By::Seller)]
    pub by: By,
}

#[derive(Debug, Args)]
pub struct StockArgs {
    /// Flag items with at most this many cylinders available.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_LOW_STOCK)]
    pub low: i64,
    /// Show only the low items.
    #[arg(long)]
    pub only_low: bool,
}

pub async fn run(ctx: &Context, command: ReportCommand) -> Result<(), CliError> {
    let actor = ctx.admin().await?;
    match command {
        ReportCommand::Sales(args) => {
            let by = match args.by {
                By::Seller => SalesGrouping::Seller,
                By::Brand => SalesGrouping::Brand,
                By::Location => SalesGrouping::Location,
                By::Day => SalesGrouping::Day,
            };
            let from = args.from.as_deref().map(|d| parse_day(d, "from")).transpose()?;
            let to = args.to.as_deref().map(|d| parse_day(d, "to")).transpose()?;
            let report = ctx.core.sales_report(&actor, SalesQuery::from_days(by, from, to)?).await?;
            // The table names the key column after the grouping; CSV keeps the stable "key".
            let key = if ctx.format == crate::output::Format::Csv { "key" } else { by.as_str() };
            let mut listing = Listing::new(&[key, "currency", "orders", "quantity", "revenue"]);
            for row in &report.rows {
                listing.row(vec![
                    row.key.clone(),
                    row.currency.clone(),
                    row.orders.to_string(),
                    row.quantity.to_string(),
                    row.revenue.to_string(),
                ]);
            }
            for total in &report.totals {
                listing.footer.push(vec![
                    "TOTAL".into(),
                    total.currency.clone(),
                    total.orders.to_string(),
                    total.quantity.to_string(),
                    total.revenue.to_string(),
                ]);
            }
            emit(ctx.format, &report, &listing)
        }
        ReportCommand::Stock(args) => {
            let rows = ctx.core.stock_report(&actor, args.low, args.only_low).await?;
            let mut listing = Listing::new(&[
                "id",
                "seller_email",
                "brand",
                "weight_kg",
                "location",
                "quantity",
                "reserved",
                "unit_price",
                "currency",
                "low",
            ]);
            for row in &rows {
                listing.row(vec![
                    row.id.to_string(),
                    row.seller_email.clone(),
                    row.brand.clone(),
                    kg(row.weight_kg),
                    row.location.clone(),
                    row.quantity.to_string(),
                    row.reserved.to_string(),
                    row.unit_price.to_string(),
                    row.currency.clone(),
                    row.low.to_string(),
                ]);
            }
            emit(ctx.format, &rows, &listing)
        }
        ReportCommand::Payouts => crate::payouts::report(ctx, &actor).await,
        ReportCommand::Sellers => {
            let rows = ctx.core.sellers_report(&actor).await?;
            let mut listing = Listing::new(&[
                "seller_id",
                "email",
                "name",
                "orders",
                "delivered",
                "revenue",
                "currency",
                "average_rating",
                "ratings",
            ]);
            for row in &rows {
                listing.row(vec![
                    row.seller_id.to_string(),
                    row.email.clone(),
                    row.name.clone(),
                    row.orders.to_string(),
                    row.delivered.to_string(),
                    row.revenue.to_string(),
                    opt(row.currency.as_ref()),
                    opt(row.average_rating.map(|r| format!("{r:.2}"))),
                    row.ratings.to_string(),
                ]);
            }
            emit(ctx.format, &rows, &listing)
        }
        ReportCommand::Deposits => crate::ledger::deposits_report(ctx, &actor).await,
        ReportCommand::Deliveries => crate::drivers::deliveries_report(ctx, &actor).await,
    }
}
