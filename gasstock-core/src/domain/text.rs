//! Free-text fields: short labels (names, brands, locations) and multi-line notes (addresses,
//! notes, reasons, comments). Both are trimmed, bounded and refuse control characters, so
//! that every backend stores them as given: PostgreSQL cannot store NUL in `TEXT` at all,
//! and terminal or log output must not be steerable by a client.

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

/// Notes and comments may be multi-line: line feeds, carriage returns and tabs are kept, any
/// other control character (NUL, escape, DEL, C1 controls) is refused.
pub fn parse_note(input: Option<&str>, field: &'static str, max: usize) -> Result<Option<String>, Error> {
    match input.map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) if value.chars().count() > max => {
            Err(Error::invalid(field, format!("must be at most {max} characters")))
        }
        Some(value) if value.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) => {
            Err(Error::invalid(field, "must not contain control characters other than line breaks and tabs"))
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

    #[test]
    fn notes_keep_line_breaks_and_refuse_other_controls() {
        assert_eq!(
            parse_note(Some(" KN 5 Rd\r\n\tgate 2 "), "note", 50).unwrap().as_deref(),
            Some("KN 5 Rd\r\n\tgate 2")
        );
        for bad in ["a\u{0}b", "a\u{1b}[31mb", "a\u{7f}b", "a\u{85}b", "a\u{8}b"] {
            let err = parse_note(Some(bad), "note", 50).unwrap_err();
            assert!(err.to_string().contains("control characters"), "{bad:?}: {err}");
        }
    }

    proptest::proptest! {
        /// Whatever a client sends, a note is either refused or stored free of control
        /// characters other than line breaks and tabs, within its bound.
        #[test]
        fn notes_never_carry_control_characters(input in "\\PC*|[\\x00-\\x{9f}]{0,20}|.{0,30}") {
            if let Ok(Some(note)) = parse_note(Some(&input), "note", 20) {
                proptest::prop_assert!(note.chars().count() <= 20);
                proptest::prop_assert!(note.chars().all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t')));
            }
            if let Ok(label) = Label::parse(&input, "brand", 20) {
                proptest::prop_assert!(label.as_str().chars().all(|c| !c.is_control()));
            }
        }
    }
}
