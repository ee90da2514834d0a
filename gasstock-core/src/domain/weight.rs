//! Cylinder weight in kilograms, kept as whole grams so filters compare exactly.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize, Serializer};

use crate::error::Error;

/// A positive cylinder weight. Parsed from `12`, `12kg`, `12 kg`, `12.5KG`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WeightKg(i64);

impl WeightKg {
    /// Heaviest cylinder we accept (bulk tanks are not cylinders).
    pub const MAX_GRAMS: i64 = 1_000_000;

    pub fn from_grams(grams: i64) -> Result<Self, Error> {
        if grams <= 0 {
            return Err(Error::invalid("weight", "weight must be greater than 0 kg"));
        }
        if grams > Self::MAX_GRAMS {
            return Err(Error::invalid("weight", "weight must be at most 1000 kg"));
        }
        Ok(WeightKg(grams))
    }

    pub fn grams(self) -> i64 {
        self.0
    }

    pub fn kg(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// Parses a user-supplied weight; the error names the `field` it came from.
    pub fn parse_field(input: &str, field: &'static str) -> Result<Self, Error> {
        let bad = || {
            Error::invalid(field, format!("'{input}' is not a weight: use a number of kg such as 12, 12kg or 12.5 kg"))
        };
        let trimmed = input.trim();
        let lower = trimmed.to_ascii_lowercase();
        let number = lower.strip_suffix("kg").unwrap_or(&lower).trim_end();
        // Digits with at most one decimal point and three decimals (grams): no signs, no
        // exponents, no NaN/inf spellings.
        let (whole, frac) = match number.split_once('.') {
            Some((w, f)) => (w, f),
            None => (number, ""),
        };
        let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits_only(whole) || !digits_only(frac) || frac.len() > 3 || (number.ends_with('.')) {
            return Err(bad());
        }
        if whole.len() > 7 {
            return Err(Error::invalid(field, "weight must be at most 1000 kg"));
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let frac_grams: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<3}").parse().map_err(|_| bad())? };
        Self::from_grams(whole * 1000 + frac_grams).map_err(|err| match err {
            Error::Invalid { message, .. } => Error::invalid(field, message),
            other => other,
        })
    }
}

impl FromStr for WeightKg {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse_field(s, "weight")
    }
}

impl fmt::Display for WeightKg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kg, grams) = (self.0 / 1000, self.0 % 1000);
        if grams == 0 {
            write!(f, "{kg} kg")
        } else {
            let frac = format!("{grams:03}");
            write!(f, "{kg}.{} kg", frac.trim_end_matches('0'))
        }
    }
}

impl TryFrom<i64> for WeightKg {
    type Error = Error;

    fn try_from(grams: i64) -> Result<Self, Error> {
        Self::from_grams(grams)
    }
}

/// Responses carry kilograms as a JSON number: `12` for whole kilograms, `12.5` otherwise.
impl Serialize for WeightKg {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0 % 1000 == 0 {
            serializer.serialize_i64(self.0 / 1000)
        } else {
            serializer.serialize_f64(self.kg())
        }
    }
}

/// Requests may send a number (`12.5`) or a string (`"12.5 kg"`).
impl<'de> Deserialize<'de> for WeightKg {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(serde_json::Number),
            Text(String),
        }
        let text = match Raw::deserialize(deserializer)? {
            Raw::Number(n) => n.to_string(),
            Raw::Text(s) => s,
        };
        WeightKg::from_str(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_the_documented_spellings() {
        for (input, grams) in [
            ("12", 12_000),
            ("12kg", 12_000),
            ("12 kg", 12_000),
            ("12.5KG", 12_500),
            (" 6 Kg ", 6_000),
            ("0.5", 500),
            ("12.125", 12_125),
            ("50", 50_000),
        ] {
            assert_eq!(input.parse::<WeightKg>().map(WeightKg::grams).ok(), Some(grams), "{input}");
        }
    }

    #[test]
    fn rejects_junk_zero_negative_and_nan() {
        for input in [
            "", "kg", "0", "0kg", "-12", "+12", "NaN", "inf", "12 lb", "1e3", "12.", ".5", "12.3456", "12,5", "twelve",
            "1 2", "99999999",
        ] {
            assert!(input.parse::<WeightKg>().is_err(), "{input} should be rejected");
        }
    }

    #[test]
    fn serializes_whole_kilograms_as_integers() {
        let json =
            serde_json::to_string(&[WeightKg::from_grams(12_000).unwrap(), WeightKg::from_grams(12_500).unwrap()])
                .unwrap();
        assert_eq!(json, "[12,12.5]");
    }

    proptest! {
        #[test]
        fn display_round_trips(grams in 1i64..=WeightKg::MAX_GRAMS) {
            let weight = WeightKg::from_grams(grams).unwrap();
            prop_assert_eq!(weight.to_string().parse::<WeightKg>().unwrap(), weight);
        }

        #[test]
        fn never_panics_and_never_yields_a_non_positive_weight(input in ".{0,12}") {
            if let Ok(weight) = input.parse::<WeightKg>() {
                prop_assert!(weight.grams() > 0);
            }
        }
    }
}
