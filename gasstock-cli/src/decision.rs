//! The arguments of `orders approve|reject` and `invoices approve|reject`, and the admin's
//! decision they make. The reason is optional for both, as over HTTP (docs/api.md: `reason?`);
//! the core checks it when given (commands.rs, `Decision`).

use clap::Args;
use gasstock_core::commands::Decision;

#[derive(Debug, Args)]
pub struct DecisionArgs {
    pub id: i64,
    /// Why (optional): recorded in the status history and told to those concerned.
    #[arg(long)]
    pub reason: Option<String>,
}

impl DecisionArgs {
    /// The id and the decision: approve it, or reject it.
    pub fn decision(self, approve: bool) -> (i64, Decision) {
        (self.id, Decision { approve, reason: self.reason })
    }
}
