//! Password policy and argon2id hashing. Hashing is CPU-heavy: callers run it off the async
//! runtime (see `Gasstock`).

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::Error;

/// A password that meets the policy. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    pub const MIN_CHARS: usize = 8;
    /// argon2 accepts far more, but a bound stops hashing from being a denial of service.
    pub const MAX_BYTES: usize = 1024;

    pub fn new(input: impl Into<String>) -> Result<Self, Error> {
        let input = input.into();
        if input.chars().count() < Self::MIN_CHARS {
            return Err(Error::invalid("password", format!("must be at least {} characters", Self::MIN_CHARS)));
        }
        if input.len() > Self::MAX_BYTES {
            return Err(Error::invalid("password", format!("must be at most {} bytes", Self::MAX_BYTES)));
        }
        Ok(Password(input))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// OWASP's argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("static argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub fn hash_password(password: &Password) -> Result<String, Error> {
    let salt = SaltString::generate(&mut OsRng);
    argon2().hash_password(password.expose().as_bytes(), &salt).map(|hash| hash.to_string()).map_err(Error::internal)
}

/// Checks a candidate password against a stored PHC string.
pub fn verify_password(candidate: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2().verify_password(candidate.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A hash of a password nobody has, verified against when the email is unknown so that a
/// wrong email costs as much time as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let password = Password::new("not-a-real-password-at-all").expect("valid by construction");
        hash_password(&password).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert!(Password::new("short").is_err());
        assert!(Password::new("x".repeat(2000)).is_err());
        assert!(Password::new("long enough").is_ok());
        assert_eq!(format!("{:?}", Password::new("secret-pass").unwrap()), "Password(***)");
    }

    #[test]
    fn hash_and_verify() {
        let password = Password::new("correct horse").unwrap();
        let hash = hash_password(&password).unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }
}
