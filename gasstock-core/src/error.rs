//! The one error type of the core. The server maps it to HTTP statuses and the CLI to exit
//! codes, each in exactly one place.

use std::borrow::Cow;

/// Result of every core operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a core operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No such object, or one the caller may not see.
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    /// Signed in, but the role or ownership does not allow it.
    #[error("{0}")]
    Forbidden(Cow<'static, str>),
    /// Wrong credentials, or a token that is no longer valid.
    #[error("{0}")]
    Unauthenticated(Cow<'static, str>),
    /// The object's state forbids the operation.
    #[error("{message}")]
    Conflict {
        /// Machine-readable code such as `insufficient_stock`.
        code: &'static str,
        message: String,
        details: Option<serde_json::Value>,
    },
    /// Well-formed but invalid input.
    #[error("{field}: {message}")]
    Invalid { field: Cow<'static, str>, message: String },
    /// A bug or an unavailable database; the cause is logged, never shown to clients.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Error::NotFound { entity, id: id.to_string() }
    }

    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Error::Forbidden(message.into())
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Error::Conflict { code, message: message.into(), details: None }
    }

    pub fn conflict_with(code: &'static str, message: impl Into<String>, details: serde_json::Value) -> Self {
        Error::Conflict { code, message: message.into(), details: Some(details) }
    }

    pub fn invalid(field: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Error::Invalid { field: field.into(), message: message.into() }
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Error::Internal(cause.to_string())
    }

    /// The machine-readable code clients see in the error body.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound { .. } => "not_found",
            Error::Forbidden(_) => "forbidden",
            Error::Unauthenticated(_) => "unauthenticated",
            Error::Conflict { code, .. } => code,
            Error::Invalid { .. } => "invalid",
            Error::Internal(_) => "internal",
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        Error::Internal(format!("database: {err}"))
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        Error::Internal(format!("migration: {err}"))
    }
}
