//! Rendering: a comfy-table for people, JSON (the core models' field names) and CSV (the same
//! columns as the table, raw values) for scripts.

use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use serde::Serialize;

use crate::error::CliError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// Rows under named columns, for the table and CSV formats.
#[derive(Debug, Default)]
pub struct Listing {
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    /// Rows shown only in the table (totals); CSV stays one record per item.
    pub footer: Vec<Vec<String>>,
}

impl Listing {
    pub fn new(columns: &[&'static str]) -> Self {
        Listing { columns: columns.to_vec(), ..Default::default() }
    }

    pub fn row(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }
}

/// Writes `json` or `listing` to stdout as `format` says.
pub fn emit(format: Format, json: &impl Serialize, listing: &Listing) -> Result<(), CliError> {
    emit_all(format, json, &[listing])
}

/// Like [`emit`], with several tables (e.g. an order and its history) for the table format;
/// CSV gets the first only.
pub fn emit_all(format: Format, json: &impl Serialize, listings: &[&Listing]) -> Result<(), CliError> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, json).map_err(std::io::Error::from).and_then(|()| writeln!(out))
        }
        Format::Csv => write_csv(&mut out, listings[0]),
        Format::Table => listings.iter().enumerate().try_for_each(|(i, listing)| {
            if i > 0 {
                writeln!(out)?;
            }
            writeln!(out, "{}", table(listing))
        }),
    };
    result.and_then(|()| out.flush()).map_err(|err| match err.kind() {
        std::io::ErrorKind::BrokenPipe => CliError::ClosedOutput,
        _ => CliError::Io(format!("cannot write the output: {err}")),
    })
}

fn write_csv(out: &mut impl Write, listing: &Listing) -> std::io::Result<()> {
    // Keep the I/O error's kind (a closed pipe is not a failure worth a message).
    let io = |err: csv::Error| match err.into_kind() {
        csv::ErrorKind::Io(err) => err,
        other => std::io::Error::other(format!("{other:?}")),
    };
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(&listing.columns).map_err(io)?;
    for row in &listing.rows {
        writer.write_record(row).map_err(io)?;
    }
    writer.flush()
}

fn table(listing: &Listing) -> Table {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    // A terminal that reports no sensible width (some ptys say 0) would squeeze every column
    // to one character: print full width instead.
    if table.width().is_some_and(|width| width < 40) {
        table.set_content_arrangement(ContentArrangement::Disabled);
    }
    table.set_header(listing.columns.iter().copied());
    for row in listing.rows.iter().chain(&listing.footer) {
        table.add_row(row);
    }
    table
}

pub fn time(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A weight as the JSON shows it: `12` or `12.5`.
pub fn kg(weight: gasstock_core::domain::WeightKg) -> String {
    serde_json::to_string(&weight).unwrap_or_default()
}

pub fn opt(value: Option<impl ToString>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}
