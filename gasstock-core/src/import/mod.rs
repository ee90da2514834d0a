//! Bulk stock import from CSV: all rows or none.
//!
//! The file is streamed: each record is validated as it is read (with the same rules as
//! `POST /seller/inventory`, through [`crate::commands::StockItemInput::validate`]) and valid rows go to the
//! store in batches, which stages them in a temporary table of its connection and finds rows
//! that repeat a key of the file. Then, in ONE write transaction, it counts what would be
//! created, updated or left unchanged and upserts everything with one
//! `INSERT ... SELECT ... ON CONFLICT`, or rolls back when any row was bad (or on a dry run):
//! the stock items see all rows or none. Memory stays constant whatever the size of the
//! file; bad rows are handed to a callback as they are found, so all of them are reported,
//! not only the first.
//!
//! A leading UTF-8 byte-order mark (as Excel writes) is accepted and ignored. Header names
//! are matched case-insensitively and in any order; unknown, missing or repeated columns are
//! refused before any row is read.

mod csv_file;

use std::io::Read;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::policy::{authorize, Actor, Operation};
use crate::service::Gasstock;

pub use crate::store::{DuplicateRow, ImportDecision, ImportRow, ImportTally};
use csv_file::RowBatches;
pub use csv_file::{RowError, IMPORT_BATCH_ROWS, IMPORT_COLUMNS};

/// The summary of an import: the tally and whether it was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub seller_id: i64,
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub dry_run: bool,
    /// `false` on a dry run.
    pub written: bool,
}

/// Options of [`crate::Gasstock::import_stock`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Validate and count, then roll back.
    pub dry_run: bool,
}

impl Gasstock {
    /// Imports a seller's stock from CSV, all rows or none (see the module docs). Every bad
    /// row goes to `on_error` as it is found, duplicate keys once the file is read; then the
    /// import fails with `Invalid` and nothing is written. An admin runs it.
    pub async fn import_stock<R: Read + Send>(
        &self,
        actor: &Actor,
        seller_email: &str,
        input: R,
        options: ImportOptions,
        mut on_error: impl FnMut(RowError) + Send,
    ) -> Result<ImportSummary> {
        authorize(actor, Operation::ImportStock)?;
        let seller = self.user_by_email(seller_email).await?.ok_or_else(|| Error::not_found("seller", seller_email))?;
        if seller.role != crate::domain::Role::Seller {
            return Err(Error::invalid("seller", format!("{seller_email} is a {}, not a seller", seller.role)));
        }
        let mut batches = RowBatches::open(input, &mut on_error)?;
        let bad_rows = batches.bad_rows();
        let check = Arc::clone(&bad_rows);
        let dry_run = options.dry_run;
        let outcome = self
            .store()
            .bulk()
            .import_stock(seller.id, actor.user_id, &mut batches, move |staged| {
                if check.load(Ordering::Relaxed) > 0 || staged.rows == 0 {
                    ImportDecision::Abort
                } else if dry_run {
                    ImportDecision::Count
                } else {
                    ImportDecision::Write
                }
            })
            .await;
        let fatal = batches.fatal.take();
        drop(batches);
        let (tally, written) = outcome?;
        for duplicate in &tally.duplicates {
            on_error(RowError {
                line: duplicate.line,
                column: None,
                reason: format!("repeats line {} (same brand, weight and location)", duplicate.first_line),
            });
        }
        if let Some(fatal) = fatal {
            return Err(fatal);
        }
        let bad = bad_rows.load(Ordering::Relaxed) + tally.duplicates.len() as u64;
        if bad > 0 {
            return Err(Error::invalid("file", format!("{bad} bad row(s): nothing was imported")));
        }
        if tally.rows == 0 {
            return Err(Error::invalid("file", "no rows after the header: nothing to import"));
        }
        Ok(ImportSummary {
            seller_id: seller.id,
            rows: tally.rows,
            created: tally.created,
            updated: tally.updated,
            unchanged: tally.unchanged,
            dry_run,
            written,
        })
    }
}
