//! Seeding a realistic data set for demos and benchmarks (the CLI's `gasstock seed`): the
//! rows come from [`crate::dataset`], the store writes them through [`crate::store::Bulk`].

use crate::domain::{hash_password, Password};
use crate::error::Result;
use crate::Gasstock;

pub use crate::dataset::{SeedPlan, BRANDS, LOCATIONS, WEIGHTS_KG};
pub use crate::store::SeedSummary;

/// Seeding is an operator's command (the CLI's `gasstock seed`).
impl Gasstock {
    /// Writes the plan's data; `progress(stage, done)` is called after each chunk.
    pub async fn seed(
        &self,
        plan: SeedPlan,
        progress: impl Fn(&'static str, u64) + Send + Sync,
    ) -> Result<SeedSummary> {
        plan.validate()?;
        let password = Password::new(plan.password.clone())?;
        let hash = self.password_job(move || hash_password(&password)).await??;
        self.store().bulk().seed(plan, hash, &progress).await
    }
}
