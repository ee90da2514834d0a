//! Lists, one page at a time, each with the total number of matching rows in the same
//! statement.

use super::db::{Record, Sql};
use super::row::{Col, Row};
use super::Store;
use crate::commands::PageRequest;
use crate::error::Result;
use crate::models::Paged;

/// A row of a list together with the total number of matching rows.
#[derive(Debug)]
struct Counted<T> {
    item: T,
    total: i64,
}

impl<T: Record> Record for Counted<T> {
    fn decode<R: Row>(row: &R) -> Result<Self> {
        Ok(Counted { item: T::decode(row)?, total: row.get(Col::Name("total"))? })
    }
}

impl Store {
    /// Runs a list query built by `build(sql, count_only)` with `COUNT(*) OVER ()` (see
    /// [`select_counted`]); an empty page past the end still reports the true total.
    pub(super) async fn fetch_page<T: Record + 'static>(
        &self,
        page: PageRequest,
        build: impl Fn(&mut Sql, bool),
    ) -> Result<Paged<T>> {
        let mut query = Sql::default();
        build(&mut query, false);
        query.push(" LIMIT ").push_bind(page.limit()).push(" OFFSET ").push_bind(page.offset());
        let mut count = Sql::default();
        build(&mut count, true);
        self.page_of(page, query, count).await
    }

    /// One page of `table` by id, with the total, in one statement, for tables that grow
    /// large: the count and the OFFSET run over the ids alone (index-only scans when an
    /// index serves the filter), and only the page's rows are read in full (with their
    /// per-row lookups). `filter` appends ` AND ...` conditions on `table`.
    ///
    /// `COUNT(*) OVER ()` on whole rows made every page read all matching rows and look up
    /// each one's seller name (SQLite, 95,000 items in stock: 56 ms of CPU for page 2000);
    /// a window count over the ids alone still sorted them all again (28 ms); this form
    /// takes 3.5 ms for page 2000 and 2.5 ms for page 1 (the count).
    pub(super) async fn fetch_id_page<T: Record + 'static>(
        &self,
        page: PageRequest,
        table: &str,
        columns: &str,
        filter: impl Fn(&mut Sql),
    ) -> Result<Paged<T>> {
        let mut query = Sql::new(format!("SELECT {columns}, (SELECT COUNT(*) FROM {table} WHERE 1 = 1"));
        filter(&mut query);
        query.push(&format!(") AS total FROM {table} WHERE id IN (SELECT id FROM {table} WHERE 1 = 1"));
        filter(&mut query);
        query.push(" ORDER BY id LIMIT ").push_bind(page.limit()).push(" OFFSET ").push_bind(page.offset());
        query.push(") ORDER BY id");
        let mut count = Sql::new(format!("SELECT COUNT(*) FROM {table} WHERE 1 = 1"));
        filter(&mut count);
        self.page_of(page, query, count).await
    }

    /// The page `query` reads (each row carrying the total), in one read job; only an empty
    /// page past the end runs `count` for the true total.
    pub(super) async fn page_of<T: Record + 'static>(
        &self,
        page: PageRequest,
        query: Sql,
        count: Sql,
    ) -> Result<Paged<T>> {
        self.read(move |mut conn| {
            Box::pin(async move {
                let rows: Vec<Counted<T>> = conn.fetch_all(query).await?;
                let total = match rows.first() {
                    Some(row) => row.total,
                    None if page.page == 1 => 0,
                    None => conn.fetch_scalar(count).await?,
                };
                Ok(Paged {
                    items: rows.into_iter().map(|row| row.item).collect(),
                    page: page.page,
                    per_page: page.per_page,
                    total,
                })
            })
        })
        .await
    }
}

/// Starts `sql` as `SELECT <columns>, COUNT(*) OVER () AS total FROM <from>`, or just the
/// count.
pub(super) fn select_counted(sql: &mut Sql, count_only: bool, columns: &str, from: &str) {
    if count_only {
        sql.push(&format!("SELECT COUNT(*) FROM {from}"));
    } else {
        sql.push(&format!("SELECT {columns}, COUNT(*) OVER () AS total FROM {from}"));
    }
}
