//! Reading rows, written once for both backends: a [`Column`] is one value a row can hold
//! (`i64`, `String`, a time, ...), a [`Record`] is a whole row. The [`record!`] macro says how
//! a struct's fields come from columns, once, for PostgreSQL (sqlx rows) and SQLite
//! (rusqlite rows) alike.

use chrono::{DateTime, FixedOffset, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use sqlx::postgres::PgRow;
use sqlx::Row as _;

use crate::error::{Error, Result};

/// Where a column is: by name (records) or by position (tuples, scalars).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Col<'a> {
    Name(&'a str),
    At(usize),
}

impl std::fmt::Display for Col<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Col::Name(name) => f.write_str(name),
            Col::At(index) => write!(f, "#{index}"),
        }
    }
}

fn column_error(col: Col<'_>, err: impl std::fmt::Display) -> Error {
    Error::internal(format!("database: column {col}: {err}"))
}

/// A row of either backend.
pub(crate) trait Row {
    fn get<T: Column>(&self, col: Col<'_>) -> Result<T>;
}

impl Row for PgRow {
    fn get<T: Column>(&self, col: Col<'_>) -> Result<T> {
        T::from_pg(self, col)
    }
}

/// A SQLite row with its statement's column names, looked up once per statement: rusqlite's
/// own lookup by name asks SQLite for every column's name, for every column of every row
/// (11% of the reader threads' time in the browse benchmark).
pub(crate) struct LiteRow<'r, 's> {
    pub row: &'r rusqlite::Row<'s>,
    pub names: &'r [String],
}

impl Row for LiteRow<'_, '_> {
    fn get<T: Column>(&self, col: Col<'_>) -> Result<T> {
        let at = match col {
            Col::Name(name) => self
                .names
                .iter()
                .position(|column| column == name)
                .ok_or_else(|| column_error(col, "no such column"))?,
            Col::At(index) => index,
        };
        T::from_lite(self.row, Col::At(at))
    }
}

/// One value a row can hold, decoded from either backend.
pub(crate) trait Column: Sized + Send + Unpin {
    fn from_pg(row: &PgRow, col: Col<'_>) -> Result<Self>;
    fn from_lite(row: &rusqlite::Row<'_>, col: Col<'_>) -> Result<Self>;
}

fn pg_get<T>(row: &PgRow, col: Col<'_>) -> Result<T>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    match col {
        Col::Name(name) => row.try_get(name),
        Col::At(index) => row.try_get(index),
    }
    .map_err(|err| column_error(col, err))
}

fn lite_get<T: rusqlite::types::FromSql>(row: &rusqlite::Row<'_>, col: Col<'_>) -> Result<T> {
    match col {
        Col::Name(name) => row.get(name),
        Col::At(index) => row.get(index),
    }
    .map_err(|err| column_error(col, err))
}

/// Types both drivers decode the same way.
macro_rules! plain_column {
    ($($ty:ty),+) => {$(
        impl Column for $ty {
            fn from_pg(row: &PgRow, col: Col<'_>) -> Result<Self> {
                pg_get(row, col)
            }
            fn from_lite(row: &rusqlite::Row<'_>, col: Col<'_>) -> Result<Self> {
                lite_get(row, col)
            }
        }
    )+};
}

plain_column!(i64, f64, bool, String, Option<i64>, Option<f64>, Option<String>);

/// SQLite keeps times as text in sqlx's encoding (RFC 3339 with microseconds, `+00:00`), which
/// sorts in time order; columns filled by SQLite itself hold `YYYY-MM-DD HH:MM:SS`.
pub(crate) fn lite_time_text(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

fn parse_lite_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    const FORMATS: &[&str] = &["%F %T%.f", "%F %T%.f%:z", "%F %T%.fZ", "%FT%T%.f", "%F %R"];
    FORMATS.iter().find_map(|format| {
        DateTime::<FixedOffset>::parse_from_str(text, format)
            .map(|at| at.with_timezone(&Utc))
            .ok()
            .or_else(|| NaiveDateTime::parse_from_str(text, format).ok().map(|at| Utc.from_utc_datetime(&at)))
    })
}

impl Column for Option<DateTime<Utc>> {
    fn from_pg(row: &PgRow, col: Col<'_>) -> Result<Self> {
        pg_get(row, col)
    }

    fn from_lite(row: &rusqlite::Row<'_>, col: Col<'_>) -> Result<Self> {
        match lite_get::<Option<String>>(row, col)? {
            None => Ok(None),
            Some(text) => {
                parse_lite_time(&text).map(Some).ok_or_else(|| column_error(col, format!("'{text}' is not a time")))
            }
        }
    }
}

impl Column for DateTime<Utc> {
    fn from_pg(row: &PgRow, col: Col<'_>) -> Result<Self> {
        pg_get(row, col)
    }

    fn from_lite(row: &rusqlite::Row<'_>, col: Col<'_>) -> Result<Self> {
        Option::<DateTime<Utc>>::from_lite(row, col)?.ok_or_else(|| column_error(col, "unexpected NULL"))
    }
}

/// A column converted into a domain type (`Role` from text, `WeightKg` from grams): the
/// conversion's refusal means the database holds what the domain never wrote.
pub(crate) fn convert<S, T>(value: S, col: Col<'_>) -> Result<T>
where
    T: TryFrom<S>,
    T::Error: std::fmt::Display,
{
    T::try_from(value).map_err(|err| column_error(col, err))
}

/// A whole row.
pub(crate) trait Record: Sized + Send + Unpin {
    fn decode<R: Row>(row: &R) -> Result<Self>;
}

/// Tuples of columns, by position.
macro_rules! tuple_record {
    ($(($($t:ident $i:tt),+))+) => {$(
        impl<$($t: Column),+> Record for ($($t,)+) {
            fn decode<R: Row>(row: &R) -> Result<Self> {
                Ok(($(row.get::<$t>(Col::At($i))?,)+))
            }
        }
    )+};
}

tuple_record! {
    (A 0)
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F 5)
}

/// `record!(Order { id, weight_kg = "weight_g": i64, status: String, ... })`: each field from
/// the column of its name (or the one after `=`), converted from the type after `:` when the
/// domain type is not itself a [`Column`].
macro_rules! record {
    ($ty:ident { $($field:ident $(= $column:literal)? $(: $via:ty)?),* $(,)? }) => {
        impl $crate::store::row::Record for $ty {
            fn decode<R: $crate::store::row::Row>(row: &R) -> $crate::error::Result<Self> {
                Ok($ty { $($field: record!(@field row, $field $(= $column)? $(: $via)?),)* })
            }
        }
    };
    (@field $row:ident, $field:ident $(= $column:literal)?) => {
        $row.get($crate::store::row::Col::Name(record!(@name $field $(= $column)?)))?
    };
    (@field $row:ident, $field:ident $(= $column:literal)? : $via:ty) => {{
        let col = $crate::store::row::Col::Name(record!(@name $field $(= $column)?));
        $crate::store::row::convert($row.get::<$via>(col)?, col)?
    }};
    (@name $field:ident) => { stringify!($field) };
    (@name $field:ident = $column:literal) => { $column };
}

pub(crate) use record;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_times_read_back_in_every_form_the_database_holds() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 3, 4, 5).unwrap() + chrono::Duration::microseconds(120);
        assert_eq!(lite_time_text(&at), "2026-12-01T03:04:05.000120+00:00");
        assert_eq!(parse_lite_time(&lite_time_text(&at)), Some(at));
        let whole = Utc.with_ymd_and_hms(2026, 12, 1, 3, 4, 5).unwrap();
        assert_eq!(parse_lite_time("2026-12-01 03:04:05"), Some(whole), "SQLite's CURRENT_TIMESTAMP");
        assert_eq!(parse_lite_time("not a time"), None);
    }
}
