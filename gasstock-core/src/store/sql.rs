//! Statements and their bind values, the vocabulary every store query is written in, below
//! both drivers: [`Value`], [`Sql`] (`$n` placeholders, which SQLite and PostgreSQL both
//! accept), and how an expected unique violation becomes a conflict ([`on_unique`]).

use chrono::{DateTime, Utc};

use crate::domain::{
    CollectionStatus, InvoiceStatus, MovementReason, OrderKind, OrderStatus, PaymentMethod, PaymentStatus,
    PayoutStatus, ReturnStatus, Role, WebhookDeliveryStatus,
};
use crate::error::{Error, Result};

/// How an unexpected unique-constraint violation reads (an internal error, as any other
/// database error) until [`on_unique`] turns an expected one into a conflict.
pub(crate) const UNIQUE_VIOLATION: &str = "database: unique violation: ";

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
    CollectionStatus => |v| Value::Text(v.as_str().to_owned());
    PaymentMethod => |v| Value::Text(v.as_str().to_owned());
    PayoutStatus => |v| Value::Text(v.as_str().to_owned());
    WebhookDeliveryStatus => |v| Value::Text(v.as_str().to_owned());
    Role => |v| Value::Text(v.as_str().to_owned());
    OrderKind => |v| Value::Text(v.as_str().to_owned());
    MovementReason => |v| Value::Text(v.as_str().to_owned());
    ReturnStatus => |v| Value::Text(v.as_str().to_owned());
}

/// A statement and its parameters. Static text takes `$1, $2, ...` with [`Sql::bind`];
/// dynamic statements grow with [`Sql::push`] and [`Sql::push_bind`], which numbers the
/// placeholder itself.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sql {
    pub(super) text: String,
    pub(super) values: Vec<Value>,
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
