//! The typed execution layer, written once for both backends: bind values ([`Value`]),
//! statements ([`Sql`], `$n` placeholders, which SQLite and PostgreSQL both accept),
//! connections ([`Conn`]) and transactions ([`Tx`]). PostgreSQL runs on sqlx; SQLite on
//! rusqlite connections owned by the store's own threads (see [`super::lite`]), where a whole
//! unit of work runs as one job. Every driver error becomes the core's [`Error`] here or in
//! `lite`; nothing above the store sees a driver.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use sqlx::{Arguments, PgConnection, Postgres};

use super::lite;
pub(crate) use super::row::{Column, Record};
use super::sql::UNIQUE_VIOLATION;
pub(crate) use super::sql::{on_unique, Sql, Value};
use crate::error::{Error, Result};

/// The arguments of a PostgreSQL statement.
fn pg_arguments(values: Vec<Value>) -> Result<sqlx::postgres::PgArguments> {
    let mut args = sqlx::postgres::PgArguments::default();
    for value in values {
        match value {
            Value::Int(v) => args.add(v),
            Value::OptInt(v) => args.add(v),
            Value::Text(v) => args.add(v),
            Value::OptText(v) => args.add(v),
            Value::Bool(v) => args.add(v),
            Value::Time(v) => args.add(v),
            Value::OptTime(v) => args.add(v),
        }
        .map_err(|err| Error::internal(format!("database: cannot bind a parameter: {err}")))?;
    }
    Ok(args)
}

fn db_error(err: sqlx::Error) -> Error {
    match err {
        sqlx::Error::Database(db) if db.is_unique_violation() => Error::Internal(format!("{UNIQUE_VIOLATION}{db}")),
        other => Error::from(other),
    }
}

/// SQLite treats `$7` (and `?7`) as a *named* parameter: binding the n-th one looks its name up
/// in a list (`sqlite3VListNumToName`), so a statement with thousands of them (seeding's
/// 500-row inserts) took quadratic time to bind: the seed test went from 2 s to 16 s, 78% of
/// it in that lookup. Anonymous `?` parameters have no names. When a statement's placeholders
/// are exactly `$1, $2, ..., $n` in order (everything `Sql::push_bind` builds), they become `?`;
/// a statement that reuses one (`$2` twice) keeps its numbers, which costs nothing at its size.
/// Statements have `$` only in placeholders: values are always bound, never spliced.
fn sqlite_placeholders(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut anonymous = String::with_capacity(text.len());
    let (mut expected, mut copied, mut i) = (1usize, 0usize, 0usize);
    while i < bytes.len() {
        if bytes[i] == b'$' {
            let digits = bytes[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
            if digits > 0 {
                if text[i + 1..i + 1 + digits].parse::<usize>() != Ok(expected) {
                    return std::borrow::Cow::Borrowed(text);
                }
                anonymous.push_str(&text[copied..i]);
                anonymous.push('?');
                expected += 1;
                i += 1 + digits;
                copied = i;
                continue;
            }
        }
        i += 1;
    }
    if expected == 1 {
        return std::borrow::Cow::Borrowed(text);
    }
    anonymous.push_str(&text[copied..]);
    std::borrow::Cow::Owned(anonymous)
}

/// A connection of either backend, inside or outside a transaction. A SQLite connection is
/// borrowed by a job on the thread that owns it; its statements run synchronously, so the
/// job's future completes in one poll there (see [`lite::run_now`]).
pub(crate) enum Conn<'c> {
    Lite(&'c Mutex<rusqlite::Connection>),
    Postgres(&'c mut PgConnection),
}

impl Conn<'_> {
    /// Rows affected.
    pub async fn execute(&mut self, sql: Sql) -> Result<u64> {
        let Sql { text, values } = sql;
        match self {
            Conn::Lite(conn) => lite::execute(conn, &sqlite_placeholders(&text), &values),
            Conn::Postgres(conn) => sqlx::query_with(&text, pg_arguments(values)?)
                .execute(&mut **conn)
                .await
                .map(|done| done.rows_affected())
                .map_err(db_error),
        }
    }

    pub async fn fetch_all<T: Record>(&mut self, sql: Sql) -> Result<Vec<T>> {
        let Sql { text, values } = sql;
        match self {
            Conn::Lite(conn) => lite::fetch(conn, &sqlite_placeholders(&text), &values, usize::MAX),
            Conn::Postgres(conn) => {
                let rows =
                    sqlx::query_with(&text, pg_arguments(values)?).fetch_all(&mut **conn).await.map_err(db_error)?;
                rows.iter().map(T::decode).collect()
            }
        }
    }

    pub async fn fetch_optional<T: Record>(&mut self, sql: Sql) -> Result<Option<T>> {
        let Sql { text, values } = sql;
        match self {
            Conn::Lite(conn) => Ok(lite::fetch(conn, &sqlite_placeholders(&text), &values, 1)?.pop()),
            Conn::Postgres(conn) => {
                let row = sqlx::query_with(&text, pg_arguments(values)?)
                    .fetch_optional(&mut **conn)
                    .await
                    .map_err(db_error)?;
                row.as_ref().map(T::decode).transpose()
            }
        }
    }

    pub async fn fetch_one<T: Record>(&mut self, sql: Sql) -> Result<T> {
        self.fetch_optional(sql).await?.ok_or_else(|| {
            Error::internal("database: no rows returned by a query that expected to return at least one row")
        })
    }

    /// The first column of the one row.
    pub async fn fetch_scalar<T: Column>(&mut self, sql: Sql) -> Result<T> {
        Ok(self.fetch_one::<(T,)>(sql).await?.0)
    }

    pub async fn fetch_optional_scalar<T: Column>(&mut self, sql: Sql) -> Result<Option<T>> {
        Ok(self.fetch_optional::<(T,)>(sql).await?.map(|(value,)| value))
    }

    pub async fn fetch_all_scalar<T: Column>(&mut self, sql: Sql) -> Result<Vec<T>> {
        Ok(self.fetch_all::<(T,)>(sql).await?.into_iter().map(|(value,)| value).collect())
    }

    /// Wakes the notification watchers once this unit of work commits (see `wakeups`): on
    /// PostgreSQL a `pg_notify` in its transaction, on SQLite a signal after the batch's commit.
    pub async fn announce_notifications(&mut self) -> Result<()> {
        match self {
            Conn::Lite(_) => {
                lite::announce();
                Ok(())
            }
            Conn::Postgres(_) => {
                let notify = format!("SELECT pg_notify({}, '')", super::wakeups::PG_CHANNEL);
                // `pg_notify` returns void: run it, read nothing.
                self.execute(Sql::new(notify)).await.map(drop)
            }
        }
    }

    /// Runs a fixed statement without parameters (DDL, `ANALYZE`).
    pub async fn run(&mut self, text: &str) -> Result<()> {
        self.execute(Sql::new(text)).await.map(|_| ())
    }
}

/// A transaction of either backend, begun by a job that manages its own (seeding, bulk
/// import); rolled back when dropped uncommitted. Ordinary writes never see one: the store
/// wraps each unit of work itself.
pub(crate) enum Tx<'c> {
    Lite(lite::LiteTx<'c>),
    Postgres(sqlx::Transaction<'c, Postgres>),
}

impl Tx<'_> {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Lite(tx) => Conn::Lite(tx.conn()),
            Tx::Postgres(tx) => Conn::Postgres(&mut *tx),
        }
    }

    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Lite(tx) => tx.commit(),
            Tx::Postgres(tx) => tx.commit().await.map_err(db_error),
        }
    }

    pub async fn rollback(self) -> Result<()> {
        match self {
            Tx::Lite(tx) => tx.rollback(),
            Tx::Postgres(tx) => tx.rollback().await.map_err(db_error),
        }
    }
}

/// A writing connection of its own, outside any transaction, for bulk work that begins and
/// commits its own transactions (seeding, bulk import: the CLI's). On SQLite it is a
/// connection beside the writer thread's, used directly by the calling task (each statement
/// blocks it, as bulk work may); the two take turns on the database's write lock.
pub(crate) enum Session {
    Lite(Mutex<rusqlite::Connection>),
    Postgres(sqlx::pool::PoolConnection<Postgres>),
}

impl Session {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Session::Lite(conn) => Conn::Lite(conn),
            Session::Postgres(conn) => Conn::Postgres(conn),
        }
    }

    /// A transaction on this connection, begun with `statement` (`BEGIN`, `BEGIN IMMEDIATE`).
    pub async fn begin_with(&mut self, statement: &'static str) -> Result<Tx<'_>> {
        use sqlx::Connection;
        Ok(match self {
            Session::Lite(conn) => Tx::Lite(lite::LiteTx::begin(conn, statement)?),
            Session::Postgres(conn) => Tx::Postgres(conn.begin_with(statement).await.map_err(db_error)?),
        })
    }
}

/// The time of a change, truncated to microseconds so that both backends store it exactly.
pub(crate) fn now() -> DateTime<Utc> {
    use chrono::SubsecRound;
    Utc::now().trunc_subsecs(6)
}

#[cfg(test)]
mod tests {
    use super::sqlite_placeholders;

    #[test]
    fn sqlite_gets_anonymous_placeholders_when_they_run_in_order() {
        assert_eq!(
            sqlite_placeholders("INSERT INTO t VALUES ($1, $2), ($3, $4)"),
            "INSERT INTO t VALUES (?, ?), (?, ?)"
        );
        assert_eq!(sqlite_placeholders("SELECT 1"), "SELECT 1");
        // A reused or out-of-order number keeps the numbered form, which binds by name.
        for kept in ["SELECT $1 WHERE a = $2 OR b = $2", "SELECT $2, $1", "SELECT $1, $3"] {
            assert_eq!(sqlite_placeholders(kept), kept);
        }
        assert_eq!(
            sqlite_placeholders("UPDATE t SET a = $1 WHERE id = $2 AND q >= $3"),
            "UPDATE t SET a = ? WHERE id = ? AND q >= ?"
        );
    }
}
