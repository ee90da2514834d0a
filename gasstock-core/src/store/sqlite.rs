//! The embedded default: one SQLite file in WAL mode, its SQL dialect and how it opens.
//!
//! Writes run on one writer thread and begin `IMMEDIATE`, so they queue in-process instead of
//! failing with `SQLITE_BUSY` on a lock upgrade; another process (the CLI beside a running
//! server) waits on the busy timeout. Reads have their own threads and, thanks to WAL, never
//! wait for the writer. How jobs run on those threads: [`super::lite`].

use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

use super::db::{Sql, Value};
use super::dialect::{Dialect, ImportSql};
use super::lite::Lite;
use super::StoreConfig;
use crate::error::{Error, Result};

/// SQLite's SQL. Columns are declared `COLLATE NOCASE`, so plain `=` compares
/// case-insensitively and the browse index serves it.
#[derive(Debug)]
pub(crate) struct SqliteDialect;

impl Dialect for SqliteDialect {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn write_begin(&self) -> &'static str {
        "BEGIN IMMEDIATE"
    }

    /// The single writer already serializes claims.
    fn skip_locked(&self) -> &'static str {
        ""
    }

    fn stock_key(&self) -> &'static str {
        "(seller_id, brand, weight_g, location)"
    }

    fn and_equal_ignoring_case(&self, sql: &mut Sql, column: &str, value: Value) {
        sql.push(" AND ").push(column).push(" = ").push_bind(value);
    }

    /// Timestamps are stored as RFC 3339 text.
    fn utc_day(&self, column: &str) -> String {
        format!("substr({column}, 1, 10)")
    }

    /// The write transaction (BEGIN IMMEDIATE) already excludes other writers.
    fn seed_lock(&self) -> Option<&'static str> {
        None
    }

    /// Explicit ids move AUTOINCREMENT's counter by themselves.
    fn override_ids(&self) -> &'static str {
        ""
    }

    fn sync_ids(&self) -> &'static [&'static str] {
        &[]
    }

    fn import(&self) -> &'static ImportSql {
        &IMPORT
    }
}

/// Bulk import staging (see `store::import`): NOCASE like `stock_items`, so duplicate keys and
/// the join to existing items compare exactly as the unique key does.
static IMPORT: ImportSql = ImportSql {
    create_table: "CREATE TEMP TABLE import_rows (line INTEGER NOT NULL, \
        brand TEXT NOT NULL COLLATE NOCASE, weight_g INTEGER NOT NULL, location TEXT NOT NULL COLLATE NOCASE, \
        quantity INTEGER NOT NULL, unit_price INTEGER NOT NULL, currency TEXT NOT NULL)",
    // Covering, so that the tally and the upsert read the staged rows in key order without
    // touching the table.
    create_index: "CREATE INDEX temp.import_rows_key ON import_rows \
        (brand, weight_g, location, line, quantity, unit_price, currency)",
    scan: "import_rows i INDEXED BY import_rows_key",
    key: "brand, weight_g, location",
    matches: "s.brand = i.brand AND s.weight_g = i.weight_g AND s.location = i.location",
    analyze: None,
};

/// Opens (creating if missing) the database at `url` (`sqlite://path/to/file.db`), applies
/// the migrations (sqlx's migrator, on a connection closed right after) and starts the
/// store's SQLite threads on it.
pub(crate) async fn open(url: &str, config: &StoreConfig) -> Result<Lite> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|err| Error::invalid("database_url", format!("not a SQLite URL: {err}")))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true)
        .busy_timeout(config.sqlite_busy_timeout);
    let path = options.get_filename().to_owned();
    // Migrations run with foreign keys off, as SQLite's procedure for rebuilding a table
    // requires (sqlx runs each in a transaction, where the pragma cannot change); the
    // store's own connections enforce them (lite/mod.rs).
    let migrator = SqlitePoolOptions::new().max_connections(1).connect_with(options.foreign_keys(false)).await?;
    let migrated = sqlx::migrate!("../migrations/sqlite").run(&migrator).await;
    migrator.close().await;
    migrated?;
    Lite::start(&path, config)
}
