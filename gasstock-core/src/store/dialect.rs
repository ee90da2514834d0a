//! Everything that differs between SQLite and PostgreSQL, stated once as a trait that both
//! backends implement (`SqliteDialect` in sqlite.rs, `PgDialect` in postgres.rs).
//! Every other statement of the store is one text for both.

use super::db::{Sql, Value};

/// The SQL one backend writes differently.
pub(crate) trait Dialect: Send + Sync + std::fmt::Debug {
    /// `sqlite` or `postgres`.
    fn name(&self) -> &'static str;

    /// How a write transaction begins (`BEGIN IMMEDIATE` takes SQLite's write lock at once).
    fn write_begin(&self) -> &'static str;

    /// Appended to a `SELECT` that claims rows, so that several workers claim disjoint rows.
    fn skip_locked(&self) -> &'static str;

    /// Appended to a `SELECT` that reads rows the transaction is about to change from what it
    /// read (PostgreSQL's `FOR UPDATE`; SQLite's write transaction already excludes writers).
    fn for_update(&self) -> &'static str;

    /// The conflict target of the stock item upsert: the unique key (seller, brand, weight,
    /// location), compared case-insensitively.
    fn stock_key(&self) -> &'static str;

    /// Appends ` AND <column> = <value>`, compared case-insensitively the way the browse
    /// index serves it.
    fn and_equal_ignoring_case(&self, sql: &mut Sql, column: &str, value: Value);

    /// The UTC day (`YYYY-MM-DD`) of a stored timestamp column.
    fn utc_day(&self, column: &str) -> String;

    /// Seeding writes explicit ids: a statement that keeps other inserts out meanwhile.
    fn seed_lock(&self) -> Option<&'static str>;

    /// Written after `INSERT INTO t (...)` when the ids are given.
    fn override_ids(&self) -> &'static str;

    /// After explicit-id inserts, statements that move the id generators past them.
    fn sync_ids(&self) -> &'static [&'static str];

    /// Bulk import: the staging table `import_rows`, its key index, the scan of it in key
    /// order, its sort key, the join to existing items, and what to run once it is filled.
    fn import(&self) -> &'static ImportSql;
}

/// The statements of the bulk import that differ (see `store::import`).
#[derive(Debug)]
pub(crate) struct ImportSql {
    pub create_table: &'static str,
    pub create_index: &'static str,
    pub scan: &'static str,
    pub key: &'static str,
    pub matches: &'static str,
    pub analyze: Option<&'static str>,
}
