//! The storage port: domain operations, each one atomic, over SQLite or PostgreSQL.
//!
//! Every operation that checks state and then writes does both in one transaction, with the
//! check in the SQL (`UPDATE ... WHERE status = $n`, `WHERE quantity >= $n`), so that no race
//! can slip between them. Each statement is written once for both backends (see [`db`]);
//! what differs is the [`dialect::Dialect`] trait. The operations live in one file per area.
//!
//! The store depends on nothing above it: the rows it returns and takes are defined in
//! `models`, `commands` or the area files here, and what the SQL needs computed (a
//! notification's text, a webhook's payload, seed data) comes from modules below it.

use sqlx::{PgPool, SqlitePool};

use crate::domain::Role;
use crate::error::Result;

mod accounts;
mod config;
mod db;
mod dialect;
mod events;
mod import;
mod invoices;
mod notifications;
mod orders;
mod page;
mod postgres;
mod reports;
mod seed;
mod sqlite;
mod stock;
mod webhook_delivery;
mod webhooks;

pub use config::StoreConfig;
pub use import::{Bulk, DuplicateRow, ImportDecision, ImportRow, ImportTally};
pub use reports::{SalesRow, SellerReportRow, StockReportRow};
pub use seed::SeedSummary;
pub use webhooks::{AttemptRecord, DeliveryJob, NextStep};

use db::{Pooled, Record, Scalar, Sql, Tx};
use dialect::Dialect;

/// The default database: a SQLite file in the working folder.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://gasstock.db";

/// A new account, its password already hashed.
#[derive(Debug, Clone)]
pub struct NewUserRecord {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub phone: Option<String>,
    pub location: Option<String>,
    pub password_hash: String,
}

/// Who made a change, recorded in its status event.
pub type ActorId = i64;

/// Storage of every gasstock object, on the backend the database URL names. Cheap to clone
/// (the pools are shared); the behaviour suite in `tests/` runs against both backends.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
}

#[derive(Debug, Clone)]
enum Backend {
    /// One writer connection (writes queue in-process), a pool of readers (WAL).
    Sqlite {
        writer: SqlitePool,
        readers: SqlitePool,
    },
    Postgres {
        pool: PgPool,
    },
}

impl Store {
    /// Opens the database that `url`'s scheme names (`sqlite://FILE`, `postgres://...`)
    /// with the default pool sizes and applies its migrations.
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_with(url, &StoreConfig::default()).await
    }

    /// Like [`Store::open`], with the pool sizes and timeouts of `config`.
    pub async fn open_with(url: &str, config: &StoreConfig) -> Result<Self> {
        let backend = match url.split_once(':').map(|(scheme, _)| scheme) {
            Some("sqlite") => {
                let (writer, readers) = sqlite::open(url, config).await?;
                Backend::Sqlite { writer, readers }
            }
            Some("postgres" | "postgresql") => Backend::Postgres { pool: postgres::open(url, config).await? },
            _ => {
                return Err(crate::error::Error::invalid(
                    "database_url",
                    format!("'{url}' is not a database URL: use sqlite://FILE or postgres://USER@HOST/DB"),
                ))
            }
        };
        Ok(Store { backend })
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        self.dialect().name()
    }

    /// Closes the pools (on SQLite, checkpointing the WAL).
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite { writer, readers } => {
                readers.close().await;
                writer.close().await;
            }
            Backend::Postgres { pool } => pool.close().await,
        }
    }

    /// Answers when the database does (readiness).
    pub async fn ping(&self) -> Result<()> {
        self.reader().await?.conn().execute(Sql::new("SELECT 1")).await.map(|_| ())
    }

    pub(crate) fn dialect(&self) -> &'static dyn Dialect {
        match self.backend {
            Backend::Sqlite { .. } => &sqlite::SqliteDialect,
            Backend::Postgres { .. } => &postgres::PgDialect,
        }
    }

    /// A connection for reads (on SQLite, from the read-only pool).
    async fn reader(&self) -> Result<Pooled> {
        Ok(match &self.backend {
            Backend::Sqlite { readers, .. } => Pooled::Sqlite(readers.acquire().await?),
            Backend::Postgres { pool } => Pooled::Postgres(pool.acquire().await?),
        })
    }

    /// A writing connection outside any transaction (bulk import stages rows on it first).
    async fn writer(&self) -> Result<Pooled> {
        Ok(match &self.backend {
            Backend::Sqlite { writer, .. } => Pooled::Sqlite(writer.acquire().await?),
            Backend::Postgres { pool } => Pooled::Postgres(pool.acquire().await?),
        })
    }

    /// A write transaction: on SQLite `BEGIN IMMEDIATE` on the single writer (see
    /// [`sqlite::write_tx`]), on PostgreSQL `BEGIN`.
    async fn write_tx(&self) -> Result<Tx<'static>> {
        Ok(match &self.backend {
            Backend::Sqlite { writer, .. } => Tx::Sqlite(sqlite::write_tx(writer).await?),
            Backend::Postgres { pool } => Tx::Postgres(pool.begin().await?),
        })
    }

    async fn read_one<T: Record>(&self, sql: Sql) -> Result<T> {
        self.reader().await?.conn().fetch_one(sql).await
    }

    async fn read_optional<T: Record>(&self, sql: Sql) -> Result<Option<T>> {
        self.reader().await?.conn().fetch_optional(sql).await
    }

    async fn read_all<T: Record>(&self, sql: Sql) -> Result<Vec<T>> {
        self.reader().await?.conn().fetch_all(sql).await
    }

    async fn read_scalar<T: Scalar>(&self, sql: Sql) -> Result<T> {
        self.reader().await?.conn().fetch_scalar(sql).await
    }

    /// Runs one write statement in a transaction of its own; returns what `fetch` gives.
    async fn write_one<T: Record>(&self, sql: Sql) -> Result<T> {
        let mut tx = self.write_tx().await?;
        let row = tx.conn().fetch_one(sql).await?;
        tx.commit().await?;
        Ok(row)
    }

    async fn write_optional<T: Record>(&self, sql: Sql) -> Result<Option<T>> {
        let mut tx = self.write_tx().await?;
        let row = tx.conn().fetch_optional(sql).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Rows affected.
    async fn write_execute(&self, sql: Sql) -> Result<u64> {
        let mut tx = self.write_tx().await?;
        let done = tx.conn().execute(sql).await?;
        tx.commit().await?;
        Ok(done)
    }
}
