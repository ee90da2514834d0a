//! `gasstock users create-driver`: a driver account for a seller (issue 13), created by an
//! admin from the command line (sellers create theirs with `POST /api/v1/seller/drivers`);
//! `gasstock report deliveries`.

use std::io::BufRead;

use clap::Args;
use gasstock_core::commands::driver::DriverInput;
use gasstock_core::domain::format_duration;
use gasstock_core::models::Driver;
use gasstock_core::Actor;

use crate::context::Context;
use crate::error::CliError;
use crate::output::{emit, opt, time, Listing};

#[derive(Debug, Args)]
pub struct CreateDriverArgs {
    /// The seller the driver belongs to (an existing seller's email).
    #[arg(long)]
    pub seller: String,
    #[arg(long)]
    pub email: String,
    /// Display name.
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub phone: Option<String>,
    /// Read the password from the first line of stdin (required).
    #[arg(long)]
    pub password_stdin: bool,
}

pub async fn create_driver(ctx: &Context, args: CreateDriverArgs) -> Result<(), CliError> {
    if !args.password_stdin {
        return Err(CliError::Usage(
            "pass --password-stdin and type the password on stdin (it is never taken as an argument)".into(),
        ));
    }
    let actor = ctx.admin().await?;
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .map_err(|err| CliError::Usage(format!("cannot read the password from stdin: {err}")))?;
    let password = password.trim_end_matches(['\n', '\r']).to_owned();
    let input = DriverInput { email: args.email, password, name: args.name, phone: args.phone };
    let driver = ctx.core.create_driver_for(&actor, &args.seller, &input).await?;
    emit(ctx.format, &driver, &drivers_listing(std::slice::from_ref(&driver)))
}

fn drivers_listing(drivers: &[Driver]) -> Listing {
    let mut listing = Listing::new(&["id", "email", "name", "role", "phone", "seller_id", "disabled", "created_at"]);
    for driver in drivers {
        listing.row(vec![
            driver.id.to_string(),
            driver.email.clone(),
            driver.name.clone(),
            driver.role.to_string(),
            opt(driver.phone.as_ref()),
            driver.seller_id.to_string(),
            driver.disabled.to_string(),
            time(&driver.created_at),
        ]);
    }
    listing
}

/// `report deliveries`: one line per seller and driver.
pub async fn deliveries_report(ctx: &Context, actor: &Actor) -> Result<(), CliError> {
    let rows = ctx.core.deliveries_report(actor).await?;
    let mut listing = Listing::new(&[
        "seller_id",
        "seller",
        "driver_id",
        "driver",
        "dispatched",
        "delivered",
        "failed",
        "median_time_to_deliver",
    ]);
    for row in &rows {
        let median =
            row.median_delivery_secs.map(|secs| format_duration(std::time::Duration::from_secs(secs.max(0) as u64)));
        listing.row(vec![
            row.seller_id.to_string(),
            row.seller_name.clone(),
            row.driver_id.to_string(),
            row.driver_name.clone(),
            row.dispatched.to_string(),
            row.delivered.to_string(),
            row.failed.to_string(),
            opt(median.as_ref()),
        ]);
    }
    emit(ctx.format, &rows, &listing)
}
