//! The typed execution layer, written once for both backends: bind values ([`Value`]),
//! statements ([`Sql`], `$n` placeholders, which SQLite and PostgreSQL both accept),
//! connections ([`Conn`]) and transactions ([`Tx`]). Every `sqlx::Error` becomes the core's
//! [`Error`] here; nothing above the store sees sqlx.

use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Arguments, Database, Decode, Encode, FromRow, PgConnection, Postgres, Sqlite, SqliteConnection, Type};

use crate::domain::{InvoiceStatus, OrderStatus, PaymentStatus, Role, WebhookDeliveryStatus};
use crate::error::{Error, Result};

/// How an unexpected unique-constraint violation reads (an internal error, as any other
/// database error) until [`on_unique`] turns an expected one into a conflict.
const UNIQUE_VIOLATION: &str = "database: unique violation: ";

/// A row type both backends can decode: every `#[derive(sqlx::FromRow)]` of `models.rs`
/// (the derive is generic over the row type) and tuples of plain columns.
pub(crate) trait Record: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

impl<T> Record for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

/// A single column both backends can decode (`i64`, `String`, `Option<i64>`, ...).
pub(crate) trait Scalar:
    for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres> + Send + Unpin
{
}

impl<T> Scalar for T where
    T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres> + Send + Unpin
{
}

/// One bound parameter. NULLs keep their type: PostgreSQL checks it against the column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptText(Option<String>),
    Bool(bool),
    Time(DateTime<Utc>),
    OptTime(Option<DateTime<Utc>>),
}

macro_rules! value_from {
    ($($ty:ty => |$v:ident| $e:expr;)+) => {
        $(impl From<$ty> for Value {
            fn from($v: $ty) -> Self {
                $e
            }
        })+
    };
}

value_from! {
    i64 => |v| Value::Int(v);
    Option<i64> => |v| Value::OptInt(v);
    String => |v| Value::Text(v);
    &str => |v| Value::Text(v.to_owned());
    &String => |v| Value::Text(v.clone());
    Option<String> => |v| Value::OptText(v);
    Option<&str> => |v| Value::OptText(v.map(str::to_owned));
    bool => |v| Value::Bool(v);
    DateTime<Utc> => |v| Value::Time(v);
    Option<DateTime<Utc>> => |v| Value::OptTime(v);
    OrderStatus => |v| Value::Text(v.as_str().to_owned());
    InvoiceStatus => |v| Value::Text(v.as_str().to_owned());
    PaymentStatus => |v| Value::Text(v.as_str().to_owned());
    WebhookDeliveryStatus => |v| Value::Text(v.as_str().to_owned());
    Role => |v| Value::Text(v.as_str().to_owned());
}

/// The arguments of a statement, for any backend that can encode each kind of [`Value`].
fn arguments<'q, DB>(values: Vec<Value>) -> Result<<DB as Database>::Arguments<'q>>
where
    DB: Database,
    i64: Encode<'q, DB> + Type<DB>,
    Option<i64>: Encode<'q, DB> + Type<DB>,
    String: Encode<'q, DB> + Type<DB>,
    Option<String>: Encode<'q, DB> + Type<DB>,
    bool: Encode<'q, DB> + Type<DB>,
    DateTime<Utc>: Encode<'q, DB> + Type<DB>,
    Option<DateTime<Utc>>: Encode<'q, DB> + Type<DB>,
{
    let mut args = <DB as Database>::Arguments::default();
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

/// A statement and its parameters. Static text takes `$1, $2, ...` with [`Sql::bind`];
/// dynamic statements grow with [`Sql::push`] and [`Sql::push_bind`], which numbers the
/// placeholder itself.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sql {
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Self {
        Sql { text: text.into(), values: Vec::new() }
    }

    /// The next parameter (`$n` already written in the text).
    pub fn bind(mut self, value: impl Into<Value>) -> Self {
        self.values.push(value.into());
        self
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends `$n` for a new parameter.
    pub fn push_bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        self.text.push('$');
        self.text.push_str(&self.values.len().to_string());
        self
    }

    /// Appends `$a, $b, ...`, one placeholder per value.
    pub fn push_list<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Self {
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push_bind(value);
        }
        self
    }

    /// Appends ` VALUES (...), (...)`: one row of placeholders per item, filled by `row`.
    pub fn push_values<T>(&mut self, items: impl IntoIterator<Item = T>, mut row: impl FnMut(T) -> Vec<Value>) {
        self.push(" VALUES ");
        for (i, item) in items.into_iter().enumerate() {
            self.push(if i == 0 { "(" } else { ", (" });
            self.push_list(row(item));
            self.push(")");
        }
    }
}

/// Turns a unique-constraint violation of `result` into `Conflict(code)`: the constraint is
/// the check.
pub(crate) fn on_unique<T>(result: Result<T>, code: &'static str, message: &str) -> Result<T> {
    match result {
        Err(Error::Internal(cause)) if cause.starts_with(UNIQUE_VIOLATION) => Err(Error::conflict(code, message)),
        other => other,
    }
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

/// A connection of either backend, inside or outside a transaction.
pub(crate) enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

/// Runs `sql` on whichever backend `conn` is, as `sqlx::$with(text, args).$method(conn)`.
macro_rules! dispatch {
    ($conn:expr, $sql:expr, $with:ident, $method:ident) => {{
        let Sql { text, values } = $sql;
        match $conn {
            Conn::Sqlite(conn) => {
                sqlx::$with(&sqlite_placeholders(&text), arguments::<Sqlite>(values)?).$method(&mut **conn).await
            }
            Conn::Postgres(conn) => sqlx::$with(&text, arguments::<Postgres>(values)?).$method(&mut **conn).await,
        }
        .map_err(db_error)
    }};
}

impl Conn<'_> {
    /// Rows affected.
    pub async fn execute(&mut self, sql: Sql) -> Result<u64> {
        let Sql { text, values } = sql;
        match self {
            Conn::Sqlite(conn) => sqlx::query_with(&sqlite_placeholders(&text), arguments::<Sqlite>(values)?)
                .execute(&mut **conn)
                .await
                .map(|r| r.rows_affected()),
            Conn::Postgres(conn) => sqlx::query_with(&text, arguments::<Postgres>(values)?)
                .execute(&mut **conn)
                .await
                .map(|r| r.rows_affected()),
        }
        .map_err(db_error)
    }

    pub async fn fetch_one<T: Record>(&mut self, sql: Sql) -> Result<T> {
        dispatch!(self, sql, query_as_with, fetch_one)
    }

    pub async fn fetch_optional<T: Record>(&mut self, sql: Sql) -> Result<Option<T>> {
        dispatch!(self, sql, query_as_with, fetch_optional)
    }

    pub async fn fetch_all<T: Record>(&mut self, sql: Sql) -> Result<Vec<T>> {
        dispatch!(self, sql, query_as_with, fetch_all)
    }

    /// The first column of the one row.
    pub async fn fetch_scalar<T: Scalar>(&mut self, sql: Sql) -> Result<T> {
        dispatch!(self, sql, query_scalar_with, fetch_one)
    }

    pub async fn fetch_optional_scalar<T: Scalar>(&mut self, sql: Sql) -> Result<Option<T>> {
        dispatch!(self, sql, query_scalar_with, fetch_optional)
    }

    pub async fn fetch_all_scalar<T: Scalar>(&mut self, sql: Sql) -> Result<Vec<T>> {
        dispatch!(self, sql, query_scalar_with, fetch_all)
    }

    /// Runs a fixed statement without parameters (DDL, `ANALYZE`).
    pub async fn run(&mut self, text: &str) -> Result<()> {
        self.execute(Sql::new(text)).await.map(|_| ())
    }
}

/// A transaction of either backend; rolled back when dropped uncommitted.
pub(crate) enum Tx<'c> {
    Sqlite(sqlx::Transaction<'c, Sqlite>),
    Postgres(sqlx::Transaction<'c, Postgres>),
}

impl Tx<'_> {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(tx) => Conn::Sqlite(&mut *tx),
            Tx::Postgres(tx) => Conn::Postgres(&mut *tx),
        }
    }

    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await.map_err(db_error),
            Tx::Postgres(tx) => tx.commit().await.map_err(db_error),
        }
    }

    pub async fn rollback(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.rollback().await.map_err(db_error),
            Tx::Postgres(tx) => tx.rollback().await.map_err(db_error),
        }
    }
}

/// A pooled connection of either backend, outside any transaction.
pub(crate) enum Pooled {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Pooled {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Pooled::Sqlite(conn) => Conn::Sqlite(&mut *conn),
            Pooled::Postgres(conn) => Conn::Postgres(&mut *conn),
        }
    }

    /// A transaction on this connection, begun with `statement` (`BEGIN`, `BEGIN IMMEDIATE`).
    pub async fn begin_with(&mut self, statement: &'static str) -> Result<Tx<'_>> {
        use sqlx::Connection;
        Ok(match self {
            Pooled::Sqlite(conn) => Tx::Sqlite(conn.begin_with(statement).await.map_err(db_error)?),
            Pooled::Postgres(conn) => Tx::Postgres(conn.begin_with(statement).await.map_err(db_error)?),
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
