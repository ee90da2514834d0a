//! Short free-text fields (names, brands, locations, reasons): trimmed, bounded, printable.

use std::fmt;

use serde::Serialize;

use crate::error::Error;

/// A trimmed, non-empty string of at most `max` characters without control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Label(String);

impl Label {
    pub fn parse(input: &str, field: &'static str, max: usize) -> Result<Self, Error> {
        let value = input.trim();
        if value.is_empty() {
            return Err(Error::invalid(field, "must not be empty"));
        }
        if value.chars().count() > max {
            return Err(Error::invalid(field, format!("must be at most {max} characters")));
        }
        if value.chars().any(char::is_control) {
            return Err(Error::invalid(field, "must not contain control characters"));
        }
        Ok(Label(value.to_owned()))
    }

    /// Like [`Label::parse`], but an absent or blank value is `None`.
    pub fn parse_optional(input: Option<&str>, field: &'static str, max: usize) -> Result<Option<Self>, Error> {
        match input.map(str::trim) {
            None | Some("") => Ok(None),
            Some(value) => Self::parse(value, field, max).map(Some),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Notes and comments may be multi-line, so only their length is bounded.
pub fn parse_note(input: Option<&str>, field: &'static str, max: usize) -> Result<Option<String>, Error> {
    match input.map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) if value.chars().count() > max => {
            Err(Error::invalid(field, format!("must be at most {max} characters")))
        }
        Some(value) => Ok(Some(value.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(Label::parse("  Jibu ", "brand", 10).unwrap().as_str(), "Jibu");
        assert!(Label::parse("   ", "brand", 10).is_err());
        assert!(Label::parse("a\u{0}b", "brand", 10).is_err());
        assert!(Label::parse("ééééééééééé", "brand", 10).is_err());
        assert_eq!(Label::parse("Kigali 🇷🇼", "location", 10).unwrap().as_str(), "Kigali 🇷🇼");
        assert_eq!(Label::parse_optional(Some(" "), "phone", 5).unwrap(), None);
        assert!(parse_note(Some(&"x".repeat(11)), "note", 10).is_err());
    }
}
