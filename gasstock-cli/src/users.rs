//! `gasstock users create-admin | create-driver | list`.

use std::io::BufRead;

use clap::{Args, Subcommand};
use gasstock_core::domain::Role;
use gasstock_core::models::User;

use crate::context::Context;
use crate::error::CliError;
use crate::output::{emit, opt, time, Listing};
use crate::paging::all_pages;

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create an admin account; the password is read from stdin, never from the command line.
    CreateAdmin(CreateAdminArgs),
    /// Create a driver account for a seller; the password is read from stdin.
    CreateDriver(crate::drivers::CreateDriverArgs),
    /// List accounts, oldest first.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct CreateAdminArgs {
    #[arg(long)]
    pub email: String,
    /// Display name (default "Administrator").
    #[arg(long)]
    pub name: Option<String>,
    /// Read the password from the first line of stdin (required).
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this role.
    #[arg(long, value_parser = ["buyer", "seller", "admin", "driver"])]
    pub role: Option<String>,
}

pub async fn run(ctx: &Context, command: UsersCommand) -> Result<(), CliError> {
    match command {
        UsersCommand::CreateAdmin(args) => create_admin(ctx, args).await,
        UsersCommand::CreateDriver(args) => crate::drivers::create_driver(ctx, args).await,
        UsersCommand::List(args) => list(ctx, args).await,
    }
}

async fn create_admin(ctx: &Context, args: CreateAdminArgs) -> Result<(), CliError> {
    if !args.password_stdin {
        return Err(CliError::Usage(
            "pass --password-stdin and type the password on stdin (it is never taken as an argument)".into(),
        ));
    }
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .map_err(|err| CliError::Usage(format!("cannot read the password from stdin: {err}")))?;
    let password = password.strip_suffix('\n').unwrap_or(&password);
    let password = password.strip_suffix('\r').unwrap_or(password);
    let user = ctx.core.create_admin(&args.email, args.name.as_deref(), password).await?;
    emit(ctx.format, &user, &users_listing(std::slice::from_ref(&user)))
}

async fn list(ctx: &Context, args: ListArgs) -> Result<(), CliError> {
    let actor = ctx.admin().await?;
    let role: Option<Role> = args.role.as_deref().map(str::parse).transpose()?;
    let users = all_pages(|page| ctx.core.list_users(&actor, role, page)).await?;
    emit(ctx.format, &users, &users_listing(&users))
}

fn users_listing(users: &[User]) -> Listing {
    let mut listing = Listing::new(&["id", "email", "name", "role", "phone", "location", "created_at"]);
    for user in users {
        listing.row(vec![
            user.id.to_string(),
            user.email.clone(),
            user.name.clone(),
            user.role.to_string(),
            opt(user.phone.as_ref()),
            opt(user.location.as_ref()),
            time(&user.created_at),
        ]);
    }
    listing
}
