//! A mobile-money account number (MSISDN) in E.164 form: `+` and 8 to 15 digits, the first
//! digit of the country code not 0. Rwandan numbers (`+250`) are checked further: nine
//! national digits starting with 7 (`+2507XXXXXXXX`), and the local spelling `07XXXXXXXX`
//! is read as Rwandan. Spaces, dashes and dots between digits are dropped, so
//! `+250 788 123 456` and `0788-123-456` name the same wallet.
//!
//! Stored and shown as `+2507…`; sent to the provider as `partyId` without the `+`, the
//! form MoMo's Open API takes for `partyIdType: MSISDN`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

const RWANDA: &str = "250";

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Msisdn(String);

impl Msisdn {
    /// `+2507XXXXXXXX`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits without `+`: MoMo's `partyId`.
    pub fn party_id(&self) -> &str {
        &self.0[1..]
    }
}

impl FromStr for Msisdn {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self, Error> {
        let bad = |why: &str| {
            Error::invalid(
                "phone",
                format!("'{}' is not a mobile-money number: {why} (e.g. +250788123456)", input.trim().escape_debug()),
            )
        };
        let text = input.trim();
        let (plus, rest) = match text.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let mut digits = String::with_capacity(rest.len());
        let mut last_separator = true; // a separator may not lead, trail or repeat
        for ch in rest.chars() {
            match ch {
                '0'..='9' => {
                    digits.push(ch);
                    last_separator = false;
                }
                ' ' | '-' | '.' if !last_separator => last_separator = true,
                _ => return Err(bad("only digits, a leading + and single spaces or dashes are accepted")),
            }
        }
        if last_separator && !digits.is_empty() {
            return Err(bad("it ends with a separator"));
        }
        let international = if plus {
            digits
        } else if digits.len() == 10 && digits.starts_with("07") {
            format!("{RWANDA}{}", &digits[1..])
        } else if digits.starts_with(RWANDA) {
            digits
        } else {
            return Err(bad("give it with its country code, +250…"));
        };
        if !(8..=15).contains(&international.len()) || international.starts_with('0') {
            return Err(bad("an international number has a country code and 8 to 15 digits in all"));
        }
        if let Some(national) = international.strip_prefix(RWANDA) {
            if national.len() != 9 || !national.starts_with('7') {
                return Err(bad("a Rwandan mobile number is +250 then nine digits starting with 7"));
            }
        }
        Ok(Msisdn(format!("+{international}")))
    }
}

impl TryFrom<String> for Msisdn {
    type Error = Error;

    fn try_from(value: String) -> Result<Self, Error> {
        value.parse()
    }
}

impl fmt::Display for Msisdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Msisdn {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Msisdn {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(|err: Error| serde::de::Error::custom(err.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rwandan_spellings_normalise_to_one_form() {
        for input in ["+250788123456", " +250 788 123 456 ", "0788123456", "0788-123-456", "250788123456"] {
            let phone: Msisdn = input.parse().unwrap_or_else(|err| panic!("{input}: {err}"));
            assert_eq!(phone.as_str(), "+250788123456", "{input}");
            assert_eq!(phone.party_id(), "250788123456");
        }
        assert_eq!("+46733123450".parse::<Msisdn>().unwrap().party_id(), "46733123450");
    }

    #[test]
    fn bad_numbers_are_refused_with_the_field_named() {
        for bad in [
            "",
            "+",
            "788123456",
            "+250688123456",
            "+25078812345",
            "+2507881234567",
            "+0788123456",
            "+1234567",
            "+1234567890123456",
            "+250 788  123 456",
            "+250-788-123-456-",
            "+250788123456x",
            "+250\u{200b}788123456",
            "0788 123 45",
        ] {
            match bad.parse::<Msisdn>() {
                Err(Error::Invalid { field, .. }) => assert_eq!(field, "phone", "{bad}"),
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn serde_round_trips_and_validates() {
        let phone: Msisdn = serde_json::from_str("\"0788123456\"").unwrap();
        assert_eq!(serde_json::to_string(&phone).unwrap(), "\"+250788123456\"");
        assert!(serde_json::from_str::<Msisdn>("\"12\"").is_err());
    }
}
