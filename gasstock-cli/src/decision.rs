//! The arguments of `orders approve|reject` and `invoices approve|reject`, and the admin's
//! decision they make.

use clap::Args;
use gasstock_core::commands::Decision;

use crate::error::CliError;

#[derive(Debug, Args)]
pub struct ApproveArgs {
    pub id: i64,
    /// Optional note recorded with the approval.
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Debug, Args)]
pub struct RejectArgs {
    pub id: i64,
    /// Why, recorded in the status history and told to those concerned.
    #[arg(long)]
    pub reason: String,
}

impl ApproveArgs {
    pub fn decision(self) -> (i64, Decision) {
        (self.id, Decision { approve: true, reason: self.reason })
    }
}

impl RejectArgs {
    /// A rejection must say why.
    pub fn decision(self) -> Result<(i64, Decision), CliError> {
        if self.reason.trim().is_empty() {
            return Err(CliError::Usage("--reason must not be empty".into()));
        }
        Ok((self.id, Decision { approve: false, reason: Some(self.reason) }))
    }
}
