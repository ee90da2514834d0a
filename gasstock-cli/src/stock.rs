//! `gasstock stock import FILE.csv|- --seller EMAIL [--dry-run]`.

use std::fs::File;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use gasstock_core::import::{ImportOptions, RowError};
use indicatif::{ProgressBar, ProgressStyle};

use crate::context::Context;
use crate::error::CliError;
use crate::output::{emit, Listing};

#[derive(Debug, Subcommand)]
pub enum StockCommand {
    /// Add or update a seller's stock from a CSV file, all rows or none.
    ///
    /// Header: brand,weight,location,quantity,unit_price[,currency][,empties][,deposit]
    /// [,low_stock_threshold] (any order; a leading UTF-8 byte-order mark is ignored). Rows are
    /// keyed by (brand, weight, location), case-insensitively; quantity is the new available
    /// quantity; an empty optional cell keeps what the item has. Changed counts go to the
    /// stock ledger (reason `import`). Every bad row is reported
    /// with its line and column, then nothing is written (exit code 2).
    Import(ImportArgs),
    /// An item's stock ledger, newest first: each change of its full and empty counts, why,
    /// and the order or return behind it.
    Ledger(crate::ledger::LedgerArgs),
    /// Correct an item's full and empty counts (an admin's adjustment); neither may go below 0.
    Adjust(crate::ledger::AdjustArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file, or `-` for stdin.
    pub file: PathBuf,
    /// Email of the seller whose stock this is.
    #[arg(long)]
    pub seller: String,
    /// Check and count everything, write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn run(ctx: &Context, command: StockCommand) -> Result<(), CliError> {
    let args = match command {
        StockCommand::Import(args) => args,
        StockCommand::Ledger(args) => return crate::ledger::ledger(ctx, args).await,
        StockCommand::Adjust(args) => return crate::ledger::adjust(ctx, args).await,
    };
    let actor = ctx.admin().await?;
    let progress = progress_bar(&args.file)?;
    let input: Box<dyn Read + Send> = if args.file.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        let file = File::open(&args.file)
            .map_err(|err| CliError::Usage(format!("cannot open {}: {err}", args.file.display())))?;
        Box::new(file)
    };
    let input = progress.wrap_read(input);
    let bar = progress.clone();
    // One line per bad row on stderr: text, or a JSON object per line with --format json.
    let json = ctx.format == crate::output::Format::Json;
    let on_error = move |error: RowError| {
        bar.suspend(|| match json {
            true => eprintln!("{}", serde_json::to_string(&error).unwrap_or_else(|_| error.to_string())),
            false => eprintln!("{error}"),
        })
    };
    let options = ImportOptions { dry_run: args.dry_run };
    let result = ctx.core.import_stock(&actor, &args.seller, input, options, on_error).await;
    progress.finish_and_clear();
    let summary = result?;
    let mut listing = Listing::new(&["seller_id", "rows", "created", "updated", "unchanged", "dry_run", "written"]);
    listing.row(vec![
        summary.seller_id.to_string(),
        summary.rows.to_string(),
        summary.created.to_string(),
        summary.updated.to_string(),
        summary.unchanged.to_string(),
        summary.dry_run.to_string(),
        summary.written.to_string(),
    ]);
    emit(ctx.format, &summary, &listing)
}

/// A byte progress bar on a terminal (a spinner for stdin), nothing when stderr is piped.
fn progress_bar(file: &PathBuf) -> Result<ProgressBar, CliError> {
    if !std::io::stderr().is_terminal() {
        return Ok(ProgressBar::hidden());
    }
    let size = if file.as_os_str() == "-" { None } else { std::fs::metadata(file).ok().map(|m| m.len()) };
    let bar = match size {
        Some(size) => ProgressBar::new(size).with_style(
            ProgressStyle::with_template(
                "{spinner} importing [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
            )
            .map_err(|err| CliError::Io(err.to_string()))?
            .progress_chars("=> "),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} importing {bytes} ({bytes_per_sec})")
                .map_err(|err| CliError::Io(err.to_string()))?,
        ),
    };
    bar.enable_steady_tick(Duration::from_millis(120));
    Ok(bar)
}
