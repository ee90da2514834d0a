//! Bulk writes, a narrow interface of their own beside the production operations:
//! [`Store::bulk`] gives [`Bulk`], which imports a seller's stock (here) and seeds
//! generated data (`store::seed`).

use serde::Serialize;

use super::db::{now, Session, Sql, Value};
use super::movements::{reconcile, record_prices, Scope};
use super::{ActorId, Store};
use crate::commands::StockItemDraft;
use crate::domain::MovementReason;
use crate::error::Result;

/// One valid row of an import file, ready to stage.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    /// 1-based line of the file where the record starts.
    pub line: u64,
    pub item: StockItemDraft,
}

/// A row whose key (brand, weight, location, compared as the store compares them) already
/// appeared earlier in the same file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DuplicateRow {
    pub line: u64,
    pub first_line: u64,
}

/// What the store found while staging an import (whether or not it then wrote it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportTally {
    /// Valid rows staged.
    pub rows: u64,
    /// Keys the seller does not have yet.
    pub created: u64,
    /// Existing items whose quantity, price, currency, empties, deposit or threshold change.
    pub updated: u64,
    /// Existing items the file repeats exactly.
    pub unchanged: u64,
    pub duplicates: Vec<DuplicateRow>,
}

/// Whether staged row `i` changes the optional cylinder columns of item `s` (an empty cell
/// keeps the item's value).
const CYLINDER_CHANGES: &str = "(i.empties IS NOT NULL AND i.empties <> s.empties) \
    OR (i.deposit IS NOT NULL AND i.deposit <> s.deposit) \
    OR (i.low_stock_threshold IS NOT NULL AND i.low_stock_threshold <> COALESCE(s.low_stock_threshold, -1))";

/// Whether staged row `i` changes the required columns of item `s`.
const BASIC_CHANGES: &str = "s.quantity <> i.quantity OR s.unit_price <> i.unit_price OR s.currency <> i.currency";

/// What the store does once the rows are staged (see [`Bulk::import_stock`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportDecision {
    /// Bad rows: stop, without touching the stock items (no lock taken).
    Abort,
    /// Dry run: count created/updated/unchanged in a read-only transaction.
    Count,
    /// Count and upsert, in one write transaction.
    Write,
}

/// Bulk import and seeding: writes of many rows at once, for the CLI's operators.
#[derive(Debug, Clone, Copy)]
pub struct Bulk<'s> {
    pub(super) store: &'s Store,
}

impl Store {
    /// The bulk interface (import, seed).
    pub fn bulk(&self) -> Bulk<'_> {
        Bulk { store: self }
    }
}

impl Bulk<'_> {
    /// Bulk stock import (the CSV side is the import module above the store): stages every batch in a temporary table and
    /// finds duplicate keys; then, unless there are duplicates or `decide` (given the staged
    /// tally) says [`ImportDecision::Abort`], tallies created/updated/unchanged and, for
    /// [`ImportDecision::Write`], upserts all rows for the seller in the same write
    /// transaction. Returns the tally and whether it was written.
    pub async fn import_stock(
        &self,
        seller_id: i64,
        actor: ActorId,
        batches: impl Iterator<Item = Vec<ImportRow>> + Send,
        decide: impl FnOnce(&ImportTally) -> ImportDecision + Send,
    ) -> Result<(ImportTally, bool)> {
        let mut conn = self.store.session().await?;
        conn.conn().run("DROP TABLE IF EXISTS import_rows").await?;
        let outcome = self.stage_and_upsert(&mut conn, seller_id, actor, batches, decide).await;
        // Never hand the pooled connection back with a staging table on it.
        let cleanup = conn.conn().run("DROP TABLE IF EXISTS import_rows").await;
        let outcome = outcome?;
        cleanup?;
        Ok(outcome)
    }

    /// The rows are staged, indexed and checked for duplicate keys in this connection's
    /// temporary table, in a transaction of its own that touches no shared table, so on
    /// SQLite no lock on the database file is taken while a big file is read: a server on the
    /// same file keeps writing. Only the tally and the upsert run in the write transaction, so
    /// they agree with each other.
    async fn stage_and_upsert(
        &self,
        conn: &mut Session,
        seller_id: i64,
        actor: ActorId,
        batches: impl Iterator<Item = Vec<ImportRow>> + Send,
        decide: impl FnOnce(&ImportTally) -> ImportDecision + Send,
    ) -> Result<(ImportTally, bool)> {
        let dialect = self.store.dialect();
        let sql = dialect.import();
        let mut tally = ImportTally::default();
        let mut staging = conn.begin_with("BEGIN").await?;
        staging.conn().run(sql.create_table).await?;
        for batch in batches {
            if batch.is_empty() {
                continue;
            }
            tally.rows += batch.len() as u64;
            let mut insert = Sql::new(
                "INSERT INTO import_rows (line, brand, weight_g, location, quantity, unit_price, currency, empties, \
                 deposit, low_stock_threshold)",
            );
            insert.push_values(&batch, |staged| {
                vec![
                    Value::Int(staged.line as i64),
                    staged.item.brand.as_str().into(),
                    staged.item.weight.grams().into(),
                    staged.item.location.as_str().into(),
                    staged.item.quantity.get().into(),
                    staged.item.unit_price.minor_units().into(),
                    staged.item.currency.as_str().into(),
                    staged.item.empties.into(),
                    staged.item.deposit.map(|d| d.minor_units()).into(),
                    staged.item.low_stock_threshold.into(),
                ]
            });
            staging.conn().execute(insert).await?;
        }
        // One sort of the staged keys serves the duplicate check, the tally's join and the
        // upsert, which then walks the key index in order (2-4x faster than inserting in file
        // order once the index outgrows the page cache).
        staging.conn().run(sql.create_index).await?;
        if let Some(analyze) = sql.analyze {
            staging.conn().run(analyze).await?;
        }
        let duplicates: Vec<(i64, i64)> = staging
            .conn()
            .fetch_all(Sql::new(format!(
                "SELECT line, first_line FROM (SELECT line, MIN(line) OVER (PARTITION BY {}) AS first_line \
                 FROM import_rows) AS staged WHERE line <> first_line ORDER BY line",
                sql.key
            )))
            .await?;
        staging.commit().await?;
        tally.duplicates = duplicates
            .into_iter()
            .map(|(line, first_line)| DuplicateRow { line: line as u64, first_line: first_line as u64 })
            .collect();

        let decision = if tally.duplicates.is_empty() { decide(&tally) } else { ImportDecision::Abort };
        // A refused file never touches the database; a dry run only reads it.
        let begin = match decision {
            ImportDecision::Abort => return Ok((tally, false)),
            ImportDecision::Count => "BEGIN",
            ImportDecision::Write => dialect.write_begin(),
        };
        let at = now();
        let mut tx = conn.begin_with(begin).await?;
        let (created, updated, unchanged): (i64, i64, i64) = tx
            .conn()
            .fetch_one(
                Sql::new(format!(
                    "SELECT CAST(COALESCE(SUM(CASE WHEN s.id IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
                     CAST(COALESCE(SUM(CASE WHEN s.id IS NOT NULL AND ({BASIC_CHANGES} OR {CYLINDER_CHANGES}) THEN 1 ELSE 0 END), 0) AS BIGINT), \
                     CAST(COALESCE(SUM(CASE WHEN s.id IS NOT NULL AND NOT ({BASIC_CHANGES} OR {CYLINDER_CHANGES}) THEN 1 ELSE 0 END), 0) AS BIGINT) \
                     FROM {} LEFT JOIN stock_items s ON s.seller_id = $1 AND {}",
                    sql.scan, sql.matches
                ))
                .bind(seller_id),
            )
            .await?;
        (tally.created, tally.updated, tally.unchanged) = (created as u64, updated as u64, unchanged as u64);
        if decision != ImportDecision::Write {
            tx.rollback().await?;
            return Ok((tally, false));
        }
        // Rows that change nothing are left alone (their updated_at too).
        let upsert = Sql::new(format!(
            "INSERT INTO stock_items (seller_id, brand, weight_g, location, quantity, unit_price, currency, \
             created_at, updated_at) \
             SELECT $1, brand, weight_g, location, quantity, unit_price, currency, $2, $2 FROM import_rows WHERE true \
             ORDER BY {} ON CONFLICT {} DO UPDATE SET quantity = excluded.quantity, unit_price = excluded.unit_price, \
             currency = excluded.currency, updated_at = excluded.updated_at \
             WHERE stock_items.quantity <> excluded.quantity OR stock_items.unit_price <> excluded.unit_price \
             OR stock_items.currency <> excluded.currency",
            sql.key,
            dialect.stock_key()
        ));
        tx.conn().execute(upsert.bind(seller_id).bind(at)).await?;
        // The optional cylinder columns: only where the file gives a value that differs.
        let cylinders = Sql::new(format!(
            "UPDATE stock_items AS s SET empties = COALESCE(i.empties, s.empties), \
             deposit = COALESCE(i.deposit, s.deposit), \
             low_stock_threshold = COALESCE(i.low_stock_threshold, s.low_stock_threshold), updated_at = $2 \
             FROM import_rows i WHERE s.seller_id = $1 AND {} AND ({CYLINDER_CHANGES})",
            sql.matches
        ));
        tx.conn().execute(cylinders.bind(seller_id).bind(at)).await?;
        // The seller's changed counts go to the ledger, changed prices to the history (only
        // the rows this import stamped: an unchanged row costs nothing more).
        reconcile(&mut tx.conn(), Scope::SellerChangedAt(seller_id, at), MovementReason::Import, Some(actor), at)
            .await?;
        record_prices(&mut tx.conn(), Scope::SellerChangedAt(seller_id, at), Some(actor), at).await?;
        tx.commit().await?;
        Ok((tally, true))
    }
}
