//! The embedded default: one SQLite file in WAL mode.
//!
//! Writes go through a pool of exactly one connection and begin `IMMEDIATE`, so they queue
//! in-process instead of failing with `SQLITE_BUSY` on a lock upgrade; another process (the
//! CLI beside a running server) waits on the busy timeout. Reads have their own pool and,
//! thanks to WAL, never wait for the writer.

use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use super::db::{Sql, Value};
use super::dialect::{Dialect, ImportSql};
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

/// Page cache per connection (negative: KiB). Every connection has its own, inside the
/// process: at 16 MiB each, the server's RSS grew to ~63 MiB on the benchmark's data set
/// (BENCHMARKS.md). Pages missing from it come from the OS page cache, and a reader's cache
/// is dropped anyway whenever another connection has committed since its last read.
const WRITER_CACHE_KIB: &str = "-8192";
const READER_CACHE_KIB: &str = "-4096";

/// Opens (creating if missing) the database at `url` (`sqlite://path/to/file.db`), applies
/// the migrations and returns the writer and reader pools.
pub(crate) async fn open(url: &str, config: &StoreConfig) -> Result<(SqlitePool, SqlitePool)> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|err| Error::invalid("database_url", format!("not a SQLite URL: {err}")))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL survives power loss with every commit; NORMAL can lose the last commits on
        // power loss (never on a process crash) and is much faster.
        .synchronous(if config.sqlite_synchronous_full { SqliteSynchronous::Full } else { SqliteSynchronous::Normal })
        .foreign_keys(true)
        .busy_timeout(config.sqlite_busy_timeout)
        .pragma("cache_size", WRITER_CACHE_KIB);
    let writer = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options.clone())
        .await?;
    sqlx::migrate!("../migrations/sqlite").run(&writer).await?;
    let readers = SqlitePoolOptions::new()
        .max_connections(config.sqlite_read_connections.max(1))
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options.read_only(true).pragma("cache_size", READER_CACHE_KIB))
        .await?;
    Ok((writer, readers))
}

/// A write transaction on the single writer, begun IMMEDIATE.
pub(crate) async fn write_tx(writer: &SqlitePool) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
    match writer.begin_with(SqliteDialect.write_begin()).await {
        // A request dropped in the middle of a write (its client went away) can leave the
        // writer connection inside its transaction: sqlx rolls back on drop, but when the
        // ROLLBACK fails (e.g. a statement of the dropped request still in progress) the
        // connection keeps its transaction, and every later write failed with this error
        // until a restart (seen at the end of scripts/bench.sh's order scenarios, when wrk
        // stops with requests in flight). Close that connection (SQLite rolls its
        // transaction back on close) and begin on a fresh one.
        Err(sqlx::Error::InvalidSavePointStatement) => {
            tracing::warn!("the SQLite writer connection was left inside a transaction: reopening it");
            let mut stuck = writer.acquire().await?;
            stuck.close_on_drop();
            drop(stuck);
            Ok(writer.begin_with(SqliteDialect.write_begin()).await?)
        }
        begun => Ok(begun?),
    }
}
