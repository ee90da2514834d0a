//! The JWT secret: explicit, kept in a file from an earlier run, or generated once.

use std::path::{Path, PathBuf};

/// A secret shorter than this is refused in production (HS256 wants at least 256 bits).
pub const MIN_SECRET_BYTES: usize = 32;

/// The HS256 key of the tokens; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<Vec<u8>> for Secret {
    fn from(bytes: Vec<u8>) -> Self {
        Secret(bytes)
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Secret(text.as_bytes().to_vec()))
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
    explicit: Option<&Secret>,
    production: bool,
    file: &Path,
) -> Result<(Secret, SecretSource), SecretError> {
    if let Some(secret) = explicit.filter(|s| !s.0.is_empty()) {
        if production && secret.0.len() < MIN_SECRET_BYTES {
            return Err(SecretError::TooShort(secret.0.len()));
        }
        return Ok((secret.clone(), SecretSource::Explicit));
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
            Ok((Secret(secret.as_bytes().to_vec()), SecretSource::File(file.to_owned())))
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let secret = generate_secret();
            write_private(file, &secret).map_err(io)?;
            Ok((Secret(secret.into_bytes()), SecretSource::Generated(file.to_owned())))
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
        assert!(first.0.len() >= MIN_SECRET_BYTES);
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
        let short = Secret(b"short".to_vec());
        assert!(matches!(resolve_jwt_secret(Some(&short), true, &file), Err(SecretError::TooShort(5))));
        let long = Secret(vec![b'x'; 32]);
        assert_eq!(resolve_jwt_secret(Some(&long), true, &file).unwrap().1, SecretSource::Explicit);
        assert_eq!(resolve_jwt_secret(Some(&short), false, &file).unwrap().1, SecretSource::Explicit);
    }
}
