//! Password policy and argon2id hashing. Hashing is CPU-heavy: callers run it off the async
//! runtime (see `Gasstock`).

use argon2::password_hash::{rand_core::OsRng, Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

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
    /// Counted in characters, as the OpenAPI document's `maxLength` counts (at most 1024 bytes).
    pub const MAX_CHARS: usize = 256;

    pub fn new(input: impl Into<String>) -> Result<Self, Error> {
        let input = input.into();
        if input.chars().count() < Self::MIN_CHARS {
            return Err(Error::invalid("password", format!("must be at least {} characters", Self::MIN_CHARS)));
        }
        if input.chars().count() > Self::MAX_CHARS {
            return Err(Error::invalid("password", format!("must be at most {} characters", Self::MAX_CHARS)));
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

/// argon2's working memory (19 MiB here), in a buffer that goes back to the OS when dropped.
///
/// The argon2 crate allocates the blocks itself with a plain `Vec` of exactly 19 MiB. glibc
/// serves the first such allocation with `mmap`, then raises its mmap threshold to that size,
/// so every later one comes from a per-thread heap that keeps the memory after it is freed: a
/// server that had answered a few dozen logins kept ~130 MiB resident (measured, see
/// BENCHMARKS.md). A capacity above glibc's largest threshold (32 MiB) is always its own
/// mapping, unmapped on drop; only the `block_count` blocks in use are ever touched.
fn hash_into(argon: &Argon2<'_>, password: &[u8], salt: &[u8], out: &mut [u8]) -> argon2::Result<()> {
    const ALWAYS_MAPPED_BYTES: usize = 33 << 20;
    let count = argon.params().block_count();
    let mut blocks: Vec<Block> = Vec::with_capacity(count.max(ALWAYS_MAPPED_BYTES / Block::SIZE));
    blocks.resize(count, Block::new());
    argon.hash_password_into_with_memory(password, salt, out, &mut blocks)
}

/// Hashes into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub fn hash_password(password: &Password) -> Result<String, Error> {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.as_salt().decode_b64(&mut salt_bytes).map_err(Error::internal)?;
    let argon = argon2();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    hash_into(&argon, password.expose().as_bytes(), salt_bytes, &mut out).map_err(Error::internal)?;
    let hash = Output::new(&out).map_err(Error::internal)?;
    let params = argon.params();
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${hash}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        salt.as_str()
    ))
}

/// Checks a candidate password against a stored PHC string (any argon2 variant, version and
/// parameters it names), comparing in constant time.
pub fn verify_password(candidate: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else { return false };
    let (Ok(algorithm), Some(expected), Some(salt)) = (Algorithm::try_from(parsed.algorithm), parsed.hash, parsed.salt)
    else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else { return false };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else { return false };
    let mut out = vec![0u8; expected.len()];
    if hash_into(&Argon2::new(algorithm, version, params), candidate.as_bytes(), salt, &mut out).is_err() {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(&out).is_ok_and(|actual| actual == expected)
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

    #[test]
    fn hashes_agree_with_the_argon2_crates_own() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        // Theirs verified by ours (also with other parameters and variants)...
        for (algorithm, m_cost) in [(Algorithm::Argon2id, 19 * 1024), (Algorithm::Argon2i, 8), (Algorithm::Argon2d, 64)]
        {
            let theirs = Argon2::new(algorithm, Version::V0x13, Params::new(m_cost, 2, 1, None).unwrap());
            let salt = SaltString::generate(&mut OsRng);
            let phc = theirs.hash_password(b"correct horse", &salt).unwrap().to_string();
            assert!(verify_password("correct horse", &phc), "{phc}");
            assert!(!verify_password("correct horsf", &phc), "{phc}");
        }
        // ...and ours by theirs.
        let ours = hash_password(&Password::new("correct horse").unwrap()).unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(argon2().verify_password(b"correct horse", &parsed).is_ok());
        assert!(argon2().verify_password(b"wrong horse", &parsed).is_err());
        // A truncated or tampered hash never verifies.
        assert!(!verify_password("correct horse", &ours[..ours.len() - 4]));
        assert!(!verify_password("correct horse", &ours.replace("m=19456", "m=19457")));
    }
}
