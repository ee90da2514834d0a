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

use sqlx::PgPool;
use tokio::sync::oneshot;

use crate::domain::Role;
use crate::error::{Error, Result};

mod accounts;
mod config;
mod db;
mod delivery_report;
mod deposits;
mod dialect;
mod dispatch;
mod drivers;
mod events;
mod expiry;
mod import;
mod invoices;
mod lite;
mod low_stock;
mod movements;
mod notifications;
mod orders;
mod page;
mod payments;
mod payouts;
mod pool_stats;
mod postgres;
mod records;
mod reports;
pub(crate) mod row;
mod seed;
mod seed_cylinders;
mod seed_reviews;
mod sellers;
mod sql;
mod sqlite;
mod stock;
mod stream_tickets;
mod throttle;
mod usage;
mod wakeups;
mod webhook_delivery;
mod webhooks;
mod zones;

pub use config::StoreConfig;
pub use delivery_report::DeliveryReportRow;
pub use deposits::{release, DepositScope};
pub use dispatch::{DispatchScope, HandoverCheck};
pub use expiry::ExpiryCandidate;
pub use import::{Bulk, DuplicateRow, ImportDecision, ImportRow, ImportTally};
pub use lite::GroupCommitStats;
pub use notifications::Addressed;
pub use payments::CollectionOutcome;
pub use payouts::{PayoutCandidate, PayoutOutcome};
pub use reports::{SalesRow, SellerReportRow, StockReportRow};
pub use seed::SeedSummary;
pub use stream_tickets::TicketGrant;
pub use usage::PoolStats;
pub use wakeups::Wakeups;
pub use webhooks::{AttemptRecord, DeliveryJob, NextStep};

use db::{Column, Conn, Record, Session, Sql};
use dialect::Dialect;
use lite::{run_now, JobFuture, Lite, Ran, WriteJob};

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
    /// One writer thread (group commit), a few reader threads (WAL): see [`lite`].
    Sqlite {
        lite: Lite,
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
            Some("sqlite") => Backend::Sqlite { lite: sqlite::open(url, config).await? },
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
            Backend::Sqlite { lite } => lite.close().await,
            Backend::Postgres { pool } => pool.close().await,
        }
    }

    /// What group commit has done so far; `None` on PostgreSQL, where each unit of work is a
    /// transaction of its own.
    pub fn group_commit_stats(&self) -> Option<GroupCommitStats> {
        match &self.backend {
            Backend::Sqlite { lite } => Some(lite.stats()),
            Backend::Postgres { .. } => None,
        }
    }

    /// Wake-ups after writes that added notifications (see [`wakeups`]): from every writer
    /// on PostgreSQL (a listening connection of its own), from this store's writes on SQLite.
    pub async fn notification_wakeups(&self) -> Result<Wakeups> {
        match &self.backend {
            Backend::Sqlite { lite } => Ok(Wakeups::new(lite.announcements(), None)),
            Backend::Postgres { pool } => wakeups::listen_postgres(pool).await,
        }
    }

    /// Answers when the database does (readiness).
    pub async fn ping(&self) -> Result<()> {
        self.read(|mut conn| Box::pin(async move { conn.run("SELECT 1").await })).await
    }

    pub(crate) fn dialect(&self) -> &'static dyn Dialect {
        match self.backend {
            Backend::Sqlite { .. } => &sqlite::SqliteDialect,
            Backend::Postgres { .. } => &postgres::PgDialect,
        }
    }

    /// Runs `job`, a read, as one unit on one connection: on SQLite one job on a reader
    /// thread, inside one snapshot (a page and its count agree); on PostgreSQL on a pooled
    /// connection.
    async fn read<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(Conn<'c>) -> JobFuture<'c, T> + Send + 'static,
    {
        let _unit = usage::Unit::start();
        match &self.backend {
            Backend::Sqlite { lite } => {
                let (reply, answer) = oneshot::channel();
                lite.read(Box::new(move |conn| {
                    let result =
                        lite::LiteTx::begin(conn, "BEGIN").and_then(|_snapshot| run_now(job(Conn::Lite(conn))));
                    let _ = reply.send(result);
                }))
                .await?;
                Lite::answer(answer).await
            }
            Backend::Postgres { pool } => {
                let mut conn = usage::waiting(pool.acquire()).await?;
                job(Conn::Postgres(&mut conn)).await
            }
        }
    }

    /// Runs `job`, a unit of work, atomically: all its writes or none. On SQLite it joins
    /// the writer thread's next batch (group commit, see [`lite`]) and its answer comes after
    /// the batch's commit; on PostgreSQL it is one transaction. An `Err` from the job rolls
    /// back what it wrote.
    async fn write<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(Conn<'c>) -> JobFuture<'c, T> + Send + 'static,
    {
        let _unit = usage::Unit::start();
        match &self.backend {
            Backend::Sqlite { lite } => {
                let (reply, answer) = oneshot::channel();
                lite.write(WriteJob::Unit(Box::new(move |conn| {
                    let result = match conn {
                        Ok(conn) => run_now(job(Conn::Lite(conn))),
                        Err(cause) => Err(Error::internal(format!("database: {cause}"))),
                    };
                    Ran::new(result, reply)
                })))
                .await?;
                Lite::answer(answer).await
            }
            Backend::Postgres { pool } => {
                let mut tx = usage::waiting(pool.begin()).await?;
                let result = job(Conn::Postgres(&mut tx)).await;
                if result.is_ok() {
                    tx.commit().await?;
                }
                result
            }
        }
    }

    /// A writing connection of its own for bulk work (see [`Session`]).
    async fn session(&self) -> Result<Session> {
        Ok(match &self.backend {
            Backend::Sqlite { lite } => Session::Lite(lite.open_session()?),
            Backend::Postgres { pool } => Session::Postgres(pool.acquire().await?),
        })
    }

    async fn read_one<T: Record + 'static>(&self, sql: Sql) -> Result<T> {
        self.read(move |mut conn| Box::pin(async move { conn.fetch_one(sql).await })).await
    }

    async fn read_optional<T: Record + 'static>(&self, sql: Sql) -> Result<Option<T>> {
        self.read(move |mut conn| Box::pin(async move { conn.fetch_optional(sql).await })).await
    }

    async fn read_all<T: Record + 'static>(&self, sql: Sql) -> Result<Vec<T>> {
        self.read(move |mut conn| Box::pin(async move { conn.fetch_all(sql).await })).await
    }

    async fn read_scalar<T: Column + 'static>(&self, sql: Sql) -> Result<T> {
        self.read(move |mut conn| Box::pin(async move { conn.fetch_scalar(sql).await })).await
    }

    /// Runs one write statement as a unit of its own; returns what `fetch` gives.
    async fn write_one<T: Record + 'static>(&self, sql: Sql) -> Result<T> {
        self.write(move |mut conn| Box::pin(async move { conn.fetch_one(sql).await })).await
    }

    async fn write_optional<T: Record + 'static>(&self, sql: Sql) -> Result<Option<T>> {
        self.write(move |mut conn| Box::pin(async move { conn.fetch_optional(sql).await })).await
    }

    /// Rows affected.
    async fn write_execute(&self, sql: Sql) -> Result<u64> {
        self.write(move |mut conn| Box::pin(async move { conn.execute(sql).await })).await
    }
}
