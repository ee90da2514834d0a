//! A normalised email address: trimmed, NFKC-normalised, lower-cased, one `@`, a dotted
//! domain, and nothing but ASCII once normalised.
//!
//! An email names an account, so two spellings that look alike must not be two accounts:
//! NFKC folds compatibility forms (full-width `ｓｅｌｌｅｒ` is `seller`), and what is still not
//! ASCII after it (a Cyrillic `е` inside a Latin name, a zero-width space, a right-to-left
//! mark) is refused rather than guessed at. Internationalised domains are accepted in their
//! ASCII (`xn--`) form.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

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
        // The refused input is echoed escaped, so invisible characters show in the message.
        let bad = |why: &str| {
            Error::invalid("email", format!("'{}' is not a valid email address: {why}", input.trim().escape_debug()))
        };
        let too_long = || bad(&format!("too long (at most {} characters)", Self::MAX_LEN));
        // The API's schema bounds the field as sent (maxLength counts the spaces around it
        // too), so the same bound applies before trimming: no input the documented contract
        // refuses is taken.
        if input.chars().count() > Self::MAX_LEN {
            return Err(too_long());
        }
        let email: String = input.trim().nfkc().collect::<String>().to_lowercase();
        if !email.is_ascii() {
            return Err(bad("only ASCII letters, digits and punctuation are accepted (look-alike letters from other \
                 alphabets and invisible characters are refused; give an internationalised domain in its xn-- form)"));
        }
        // Normalising can lengthen it (NFKC writes `ﬀ` as `ff`).
        if email.len() > Self::MAX_LEN {
            return Err(too_long());
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

impl Email {
    /// The key an account is looked up by at sign-in. A valid address is its normal form; an
    /// address stored before emails had to be ASCII is matched as it was stored (trimmed,
    /// lower-cased), so such accounts keep signing in, while a look-alike spelling only ever
    /// matches an account spelled exactly so.
    pub fn sign_in_key(input: &str) -> String {
        match input.parse::<Email>() {
            Ok(email) => email.0,
            Err(_) => input.trim().to_lowercase(),
        }
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

    #[test]
    fn the_length_bound_counts_the_input_as_sent() {
        let longest = format!("{}@example.rw", "a".repeat(Email::MAX_LEN - "@example.rw".len()));
        assert_eq!(longest.parse::<Email>().unwrap().as_str(), longest);
        // One space more is over the schema's maxLength, though trimming would take it off.
        for over in [format!(" {longest}"), format!("\u{2005}{longest}"), format!("a{longest}")] {
            let err = over.parse::<Email>().unwrap_err().to_string();
            assert!(err.contains("too long (at most 254 characters)"), "{over:?}: {err}");
        }
        // Within the bound as sent, but over it once normalised: `ﬀ` folds to `ff`.
        let folds = format!("{}@example.rw", "\u{fb00}".repeat(130));
        assert!(folds.chars().count() <= Email::MAX_LEN);
        assert!(folds.parse::<Email>().unwrap_err().to_string().contains("too long"));
    }

    #[test]
    fn look_alikes_fold_or_are_refused() {
        // Full-width letters are the same address once folded.
        assert_eq!("ｓｅｌｌｅｒ@example.rw".parse::<Email>().unwrap().as_str(), "seller@example.rw");
        assert_eq!("SELLER@EXAMPLE.RW".parse::<Email>().unwrap().as_str(), "seller@example.rw");
        for look_alike in [
            "s\u{0435}ller@example.rw", // Cyrillic е
            "buyer\u{200b}@example.rw", // zero-width space
            "buyer@exam\u{200d}ple.rw", // zero-width joiner
            "\u{202e}buyer@example.rw", // right-to-left override
            "b\u{00fc}yer@example.rw",  // ü: not ASCII either
            "buyer@\u{0435}xample.rw",  // Cyrillic in the domain
            "a\u{0}b@example.rw",
        ] {
            let err = look_alike.parse::<Email>().unwrap_err().to_string();
            assert!(err.contains("ASCII") || err.contains("spaces"), "{look_alike:?}: {err}");
            assert!(
                !err.contains('\u{200b}') && !err.contains('\u{0}'),
                "invisible characters are shown escaped: {err}"
            );
        }
        assert_eq!("buyer@xn--mller-kva.de".parse::<Email>().unwrap().as_str(), "buyer@xn--mller-kva.de");
    }

    proptest! {
        /// Whatever arrives, an accepted email is ASCII, normalised and stable.
        #[test]
        fn accepted_emails_are_ascii_and_stable(input in "\\PC{0,30}@\\PC{0,20}") {
            if let Ok(email) = input.parse::<Email>() {
                prop_assert!(email.as_str().is_ascii());
                prop_assert_eq!(email.as_str().parse::<Email>().unwrap(), email);
            }
        }

        #[test]
        fn parsing_is_idempotent(input in "[a-zA-Z0-9._+-]{1,20}@[a-z0-9-]{1,10}\\.[a-z]{2,6}") {
            if let Ok(email) = input.parse::<Email>() {
                prop_assert_eq!(email.as_str().parse::<Email>().unwrap(), email);
            }
        }
    }
}
