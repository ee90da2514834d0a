//! The embedded default: one SQLite file in WAL mode.
//!
//! Writes go through a pool of exactly one connection and begin `IMMEDIATE`, so they queue
//! in-process instead of failing with `SQLITE_BUSY` on a lock upgrade; another process (the
//! CLI beside a running server) waits on the busy timeout. Reads have their own pool and,
//! thanks to WAL, never wait for the writer.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

/// SQL that differs from PostgreSQL's. Columns are declared `COLLATE NOCASE`, so plain `=`
/// compares case-insensitively and the browse index serves it.
mod dialect {
    /// Seeding: the write transaction (BEGIN IMMEDIATE) already excludes other writers, and
    /// explicit ids move AUTOINCREMENT's counter by themselves.
    pub const SEED_LOCK: &str = "";
    pub const OVERRIDE_IDS: &str = "";
    pub const SYNC_IDS: &[&str] = &[];
    /// Lets several workers claim disjoint rows at once.
    pub const SKIP_LOCKED: &str = "";
    pub const STOCK_KEY: &str = "(seller_id, brand, weight_g, location)";
    pub const BRAND_EQ: &str = " AND brand = ";
    pub const LOCATION_EQ: &str = " AND location = ";
    pub const CI_CLOSE: &str = "";
    /// Bulk import staging (see `crate::import`): NOCASE like `stock_items`, so duplicate
    /// keys and the join to existing items compare exactly as the unique key does.
    pub const IMPORT_TABLE: &str = "CREATE TEMP TABLE import_rows (line INTEGER NOT NULL, \
        brand TEXT NOT NULL COLLATE NOCASE, weight_g INTEGER NOT NULL, location TEXT NOT NULL COLLATE NOCASE, \
        quantity INTEGER NOT NULL, unit_price INTEGER NOT NULL, currency TEXT NOT NULL)";
    /// Covering, so that the tally and the upsert read the staged rows in key order
    /// without touching the table.
    pub const IMPORT_INDEX: &str =
        "CREATE INDEX temp.import_rows_key ON import_rows (brand, weight_g, location, line, quantity, unit_price, currency)";
    pub const IMPORT_SCAN: &str = "import_rows i INDEXED BY import_rows_key";
    /// How the import's write transaction begins (like `write_tx`).
    pub const WRITE_BEGIN: &str = "BEGIN IMMEDIATE";
    pub const IMPORT_KEY: &str = "brand, weight_g, location";
    pub const IMPORT_MATCH: &str = "s.brand = i.brand AND s.weight_g = i.weight_g AND s.location = i.location";
    pub const IMPORT_ANALYZE: &str = "";
    /// The UTC day of a stored timestamp (RFC 3339 text).
    pub const RELEASE_DAY: &str = "substr(p.released_at, 1, 10)";
}

/// Page cache per connection (negative: KiB). Every connection has its own, inside the
/// process: at 16 MiB each, the server's RSS grew to ~63 MiB on the benchmark's data set
/// (BENCHMARKS.md). Pages missing from it come from the OS page cache, and a reader's cache
/// is dropped anyway whenever another connection has committed since its last read.
const WRITER_CACHE_KIB: &str = "-8192";
const READER_CACHE_KIB: &str = "-4096";

/// Options for [`SqliteStore::open_with`].
#[derive(Debug, Clone)]
pub struct SqliteConfig {
    /// Connections for reads; writes always use one.
    pub read_connections: u32,
    /// How long a write waits for another process's lock before failing.
    pub busy_timeout: Duration,
    /// `synchronous=FULL` survives power loss with every commit; the default `NORMAL` can
    /// lose the last commits on power loss (never on a process crash) and is much faster.
    pub synchronous_full: bool,
}

impl Default for SqliteConfig {
    fn default() -> Self {
        SqliteConfig { read_connections: 4, busy_timeout: Duration::from_secs(5), synchronous_full: false }
    }
}

/// SQLite adapter of [`crate::store::Store`].
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    readers: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://path/to/file.db`) and
    /// applies the migrations.
    pub async fn open(url: &str) -> crate::Result<Self> {
        Self::open_with(url, SqliteConfig::default()).await
    }

    pub async fn open_with(url: &str, config: SqliteConfig) -> crate::Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|err| crate::Error::invalid("database_url", format!("not a SQLite URL: {err}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(if config.synchronous_full { SqliteSynchronous::Full } else { SqliteSynchronous::Normal })
            .foreign_keys(true)
            .busy_timeout(config.busy_timeout)
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
            .max_connections(config.read_connections.max(1))
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options.read_only(true).pragma("cache_size", READER_CACHE_KIB))
            .await?;
        Ok(SqliteStore { writer, readers })
    }

    /// Closes both pools, checkpointing the WAL.
    pub async fn close(&self) {
        self.readers.close().await;
        self.writer.close().await;
    }

    fn read_pool(&self) -> &SqlitePool {
        &self.readers
    }

    /// A writing connection outside any transaction (bulk import stages rows on it first).
    async fn write_conn(&self) -> crate::Result<sqlx::pool::PoolConnection<sqlx::Sqlite>> {
        Ok(self.writer.acquire().await?)
    }

    async fn write_tx(&self) -> crate::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        match self.writer.begin_with("BEGIN IMMEDIATE").await {
            // A request dropped in the middle of a write (its client went away) can leave the
            // writer connection inside its transaction: sqlx rolls back on drop, but when the
            // ROLLBACK fails (e.g. a statement of the dropped request still in progress) the
            // connection keeps its transaction, and every later write failed with this error
            // until a restart (seen at the end of scripts/bench.sh's order scenarios, when wrk
            // stops with requests in flight). Close that connection (SQLite rolls its
            // transaction back on close) and begin on a fresh one.
            Err(sqlx::Error::InvalidSavePointStatement) => {
                tracing::warn!("the SQLite writer connection was left inside a transaction: reopening it");
                let mut stuck = self.writer.acquire().await?;
                stuck.close_on_drop();
                drop(stuck);
                Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
            }
            begun => Ok(begun?),
        }
    }
}

impl_sql_store!(SqliteStore, sqlx::Sqlite, sqlx::SqliteConnection);
