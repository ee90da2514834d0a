//! A normalised email address: trimmed, lower-cased, one `@`, a dotted domain.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::error::Error;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Email {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self, Error> {
        let email = input.trim().to_lowercase();
        let bad =
            |why: &str| Error::invalid("email", format!("'{}' is not a valid email address: {why}", input.trim()));
        if email.len() > Self::MAX_LEN {
            return Err(bad("too long"));
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err(bad("missing @"));
        };
        if local.is_empty() || domain.contains('@') {
            return Err(bad("expected exactly one @ after a name"));
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("contains spaces"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 || labels.iter().any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-')) {
            return Err(bad("the domain must look like example.com"));
        }
        Ok(Email(email))
    }
}

impl TryFrom<String> for Email {
    type Error = Error;

    fn try_from(value: String) -> Result<Self, Error> {
        value.parse()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalises_and_validates() {
        assert_eq!("  Alice@Example.COM ".parse::<Email>().unwrap().as_str(), "alice@example.com");
        assert!("kagabo+gas@mail.rw".parse::<Email>().is_ok());
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "alice@example",
            "a@b@c.com",
            "al ice@example.com",
            "a@.com",
            "a@-x.com",
        ] {
            assert!(bad.parse::<Email>().is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn parsing_is_idempotent(input in "[a-zA-Z0-9._+-]{1,20}@[a-z0-9-]{1,10}\\.[a-z]{2,6}") {
            if let Ok(email) = input.parse::<Email>() {
                prop_assert_eq!(email.as_str().parse::<Email>().unwrap(), email);
            }
        }
    }
}
