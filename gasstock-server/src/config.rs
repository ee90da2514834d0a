//! Server settings, and where the JWT secret comes from.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use gasstock_core::webhooks::WorkerConfig;

/// Everything the server needs to run. [`Config::new`] gives the defaults of API.md.
#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: SocketAddr,
    /// HS256 key for the tokens the server issues and checks.
    pub jwt_secret: Vec<u8>,
    /// How long a token from `POST /login` stays valid.
    pub token_ttl: Duration,
    /// Largest accepted request body, in bytes (413 above).
    pub body_limit: usize,
    /// Failed login attempts allowed per email within `login_window` (429 after).
    pub login_attempts_per_email: u32,
    /// Failed login attempts allowed per client address within `login_window` (429 after).
    pub login_attempts_per_client: u32,
    pub login_window: Duration,
    /// How often a notification stream (`GET /notifications/stream`) looks for new
    /// notifications in the database (changes by other instances or the CLI arrive this way).
    pub stream_poll_interval: Duration,
    /// Idle time after which a notification stream sends a `: keepalive` comment.
    pub stream_heartbeat: Duration,
    /// The webhook delivery worker started with the server; `None` runs none
    /// (`GASSTOCK_WEBHOOKS=off`).
    pub webhook_worker: Option<WorkerConfig>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("bind", &self.bind)
            .field("jwt_secret", &"<redacted>")
            .field("token_ttl", &self.token_ttl)
            .field("body_limit", &self.body_limit)
            .field("login_attempts_per_email", &self.login_attempts_per_email)
            .field("login_attempts_per_client", &self.login_attempts_per_client)
            .field("login_window", &self.login_window)
            .field("stream_poll_interval", &self.stream_poll_interval)
            .field("stream_heartbeat", &self.stream_heartbeat)
            .field("webhook_worker", &self.webhook_worker)
            .finish()
    }
}

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(3600);
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;
pub const DEFAULT_STREAM_POLL_INTERVAL: Duration = Duration::from_millis(500);
pub const DEFAULT_STREAM_HEARTBEAT: Duration = Duration::from_secs(15);
/// A secret shorter than this is refused in production (HS256 wants at least 256 bits).
pub const MIN_SECRET_BYTES: usize = 32;

impl Config {
    pub fn new(database_url: impl Into<String>, jwt_secret: impl Into<Vec<u8>>) -> Self {
        Config {
            database_url: database_url.into(),
            bind: DEFAULT_BIND.parse().expect("default bind address"),
            jwt_secret: jwt_secret.into(),
            token_ttl: DEFAULT_TOKEN_TTL,
            body_limit: DEFAULT_BODY_LIMIT,
            login_attempts_per_email: 5,
            login_attempts_per_client: 30,
            login_window: Duration::from_secs(15 * 60),
            stream_poll_interval: DEFAULT_STREAM_POLL_INTERVAL,
            stream_heartbeat: DEFAULT_STREAM_HEARTBEAT,
            webhook_worker: Some(WorkerConfig::default()),
        }
    }
}

/// The password part of a database URL replaced, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Where the JWT secret came from, so that `main` can say so.
#[derive(Debug, PartialEq, Eq)]
pub enum SecretSource {
    /// `GASSTOCK_JWT_SECRET` / `--jwt-secret`.
    Explicit,
    /// Read from the secret file written on an earlier run.
    File(PathBuf),
    /// Generated now and written to this file.
    Generated(PathBuf),
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("GASSTOCK_ENV=production needs an explicit GASSTOCK_JWT_SECRET")]
    MissingInProduction,
    #[error("the JWT secret must be at least {MIN_SECRET_BYTES} bytes in production (it has {0})")]
    TooShort(usize),
    #[error("JWT secret file {path}: {source}")]
    File { path: PathBuf, source: std::io::Error },
    #[error("JWT secret file {0} is empty")]
    EmptyFile(PathBuf),
}

/// The JWT secret: the explicit one when given (checked for length in production), else the
/// one persisted in `file`, else a new random one written to `file` (never in production).
pub fn resolve_jwt_secret(
    explicit: Option<&str>,
    production: bool,
    file: &Path,
) -> Result<(Vec<u8>, SecretSource), SecretError> {
    if let Some(secret) = explicit.filter(|s| !s.is_empty()) {
        if production && secret.len() < MIN_SECRET_BYTES {
            return Err(SecretError::TooShort(secret.len()));
        }
        return Ok((secret.as_bytes().to_vec(), SecretSource::Explicit));
    }
    if production {
        return Err(SecretError::MissingInProduction);
    }
    let io = |source| SecretError::File { path: file.to_owned(), source };
    match std::fs::read_to_string(file) {
        Ok(text) => {
            let secret = text.trim();
            if secret.is_empty() {
                return Err(SecretError::EmptyFile(file.to_owned()));
            }
            Ok((secret.as_bytes().to_vec(), SecretSource::File(file.to_owned())))
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let secret = generate_secret();
            write_private(file, &secret).map_err(io)?;
            Ok((secret.into_bytes(), SecretSource::Generated(file.to_owned())))
        }
        Err(err) => Err(io(err)),
    }
}

/// 64 random bytes, hex encoded.
fn generate_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 64];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes a file only its owner can read, refusing to overwrite one.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_is_generated_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        let (first, source) = resolve_jwt_secret(None, false, &file).unwrap();
        assert_eq!(source, SecretSource::Generated(file.clone()));
        assert!(first.len() >= MIN_SECRET_BYTES);
        let (second, source) = resolve_jwt_secret(None, false, &file).unwrap();
        assert_eq!(source, SecretSource::File(file.clone()));
        assert_eq!(first, second);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn production_needs_a_long_explicit_secret() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        assert!(matches!(resolve_jwt_secret(None, true, &file), Err(SecretError::MissingInProduction)));
        assert!(!file.exists(), "production never generates a secret");
        assert!(matches!(resolve_jwt_secret(Some("short"), true, &file), Err(SecretError::TooShort(5))));
        let long = "x".repeat(32);
        assert_eq!(resolve_jwt_secret(Some(&long), true, &file).unwrap().1, SecretSource::Explicit);
        assert_eq!(resolve_jwt_secret(Some("short"), false, &file).unwrap().1, SecretSource::Explicit);
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(redact_url("postgres://u:pw@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://gasstock.db"), "sqlite://gasstock.db");
    }
}
