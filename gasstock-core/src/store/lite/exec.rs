//! Statements on a rusqlite connection: binding [`Value`]s, reading rows into [`Record`]s,
//! driver errors into the core's, and transactions that jobs begin themselves.

use std::sync::{Mutex, MutexGuard};

use rusqlite::types::{ToSqlOutput, Value as SqlValue};
use rusqlite::{Connection, ToSql};

use crate::error::{Error, Result};
use crate::store::row::{lite_time_text, LiteRow, Record};
use crate::store::sql::{Value, UNIQUE_VIOLATION};

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Int(v) => ToSqlOutput::Owned(SqlValue::Integer(*v)),
            Value::OptInt(v) => ToSqlOutput::Owned(v.map_or(SqlValue::Null, SqlValue::Integer)),
            Value::Text(v) => ToSqlOutput::Borrowed(v.as_str().into()),
            Value::OptText(v) => match v {
                Some(v) => ToSqlOutput::Borrowed(v.as_str().into()),
                None => ToSqlOutput::Owned(SqlValue::Null),
            },
            Value::Bool(v) => ToSqlOutput::Owned(SqlValue::Integer(i64::from(*v))),
            Value::Time(v) => ToSqlOutput::Owned(SqlValue::Text(lite_time_text(v))),
            Value::OptTime(v) => {
                ToSqlOutput::Owned(v.as_ref().map_or(SqlValue::Null, |v| SqlValue::Text(lite_time_text(v))))
            }
        })
    }
}

pub(crate) fn lite_error(err: rusqlite::Error) -> Error {
    use rusqlite::ffi;
    match &err {
        rusqlite::Error::SqliteFailure(code, _)
            if code.extended_code == ffi::SQLITE_CONSTRAINT_UNIQUE
                || code.extended_code == ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            Error::Internal(format!("{UNIQUE_VIOLATION}{err}"))
        }
        _ => Error::Internal(format!("database: {err}")),
    }
}

/// The connection, for the length of one statement. Only its own thread ever locks it (the
/// lock is what lets a job's future, which holds a reference to it, be `Send`), so a
/// poisoned lock just means an earlier job panicked mid-statement: the connection is fine.
pub(crate) fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Binds `values` to `$1, $2, ...`: by position when the statement's placeholders are
/// anonymous `?` (see `db::sqlite_placeholders`), by name when it kept numbered ones (`$1`
/// used twice), because SQLite numbers named parameters in order of first appearance.
fn bind(statement: &mut rusqlite::Statement<'_>, values: &[Value]) -> Result<()> {
    let named = statement.parameter_count() > 0 && statement.parameter_name(1).is_some();
    for (i, value) in values.iter().enumerate() {
        let index = if named {
            match statement.parameter_index(&format!("${}", i + 1)).map_err(lite_error)? {
                Some(index) => index,
                None => continue,
            }
        } else {
            i + 1
        };
        statement.raw_bind_parameter(index, value).map_err(lite_error)?;
    }
    Ok(())
}

/// Rows affected. Runs the statement to its end, so that `RETURNING` rows nobody reads are
/// fine.
pub(crate) fn execute(conn: &Mutex<Connection>, text: &str, values: &[Value]) -> Result<u64> {
    let conn = lock(conn);
    let mut statement = conn.prepare_cached(text).map_err(lite_error)?;
    bind(&mut statement, values)?;
    let mut rows = statement.raw_query();
    while rows.next().map_err(lite_error)?.is_some() {}
    drop(rows);
    Ok(conn.changes())
}

/// At most `limit` rows.
pub(crate) fn fetch<T: Record>(conn: &Mutex<Connection>, text: &str, values: &[Value], limit: usize) -> Result<Vec<T>> {
    let conn = lock(conn);
    let mut statement = conn.prepare_cached(text).map_err(lite_error)?;
    bind(&mut statement, values)?;
    let names: Vec<String> = statement.column_names().into_iter().map(str::to_owned).collect();
    let mut rows = statement.raw_query();
    let mut records = Vec::new();
    while records.len() < limit {
        match rows.next().map_err(lite_error)? {
            Some(row) => records.push(T::decode(&LiteRow { row, names: &names })?),
            None => break,
        }
    }
    Ok(records)
}

/// A transaction a job began itself (seeding, bulk import); rolled back when dropped
/// uncommitted.
pub(crate) struct LiteTx<'c> {
    conn: &'c Mutex<Connection>,
    open: bool,
}

impl<'c> LiteTx<'c> {
    pub fn begin(conn: &'c Mutex<Connection>, statement: &str) -> Result<Self> {
        lock(conn).execute_batch(statement).map_err(lite_error)?;
        Ok(LiteTx { conn, open: true })
    }

    pub fn conn(&self) -> &'c Mutex<Connection> {
        self.conn
    }

    pub fn commit(mut self) -> Result<()> {
        self.open = false;
        lock(self.conn).execute_batch("COMMIT").map_err(lite_error)
    }

    pub fn rollback(mut self) -> Result<()> {
        self.open = false;
        lock(self.conn).execute_batch("ROLLBACK").map_err(lite_error)
    }
}

impl Drop for LiteTx<'_> {
    fn drop(&mut self) {
        if self.open {
            if let Err(err) = lock(self.conn).execute_batch("ROLLBACK") {
                tracing::warn!("SQLite rollback failed: {err}");
            }
        }
    }
}
