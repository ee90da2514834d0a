//! Whole numbers in JSON bodies. JSON has one number type, and JSON Schema counts `1.0` as an
//! integer, so a client (or a generator working from the OpenAPI document) may send `3.0` or
//! `3e0` for 3: accepted. `1.5` is not a whole number and a string is not a number: refused
//! (400, the body does not have the expected shape), as is anything outside i64 or past 2^53,
//! where a float no longer holds every whole number exactly.

use std::fmt;

use serde::de::{Deserializer, Error, Visitor};

/// Largest whole number every f64 below it represents exactly.
const EXACT_IN_F64: f64 = 9_007_199_254_740_992.0;

struct WholeNumber;

impl Visitor<'_> for WholeNumber {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a whole number")
    }

    fn visit_i64<E: Error>(self, value: i64) -> Result<i64, E> {
        Ok(value)
    }

    fn visit_u64<E: Error>(self, value: u64) -> Result<i64, E> {
        i64::try_from(value).map_err(|_| E::custom(format!("{value} is out of range")))
    }

    fn visit_f64<E: Error>(self, value: f64) -> Result<i64, E> {
        if value.fract() == 0.0 && value.abs() <= EXACT_IN_F64 {
            Ok(value as i64)
        } else {
            Err(E::custom(format!("expected a whole number, got {value}")))
        }
    }
}

/// A whole number written as text (a query parameter): `3`, `+3`, `3.0`, `3e0`.
pub fn parse_whole(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().or_else(|| {
        let value: f64 = text.parse().ok()?;
        (value.fract() == 0.0 && value.abs() <= EXACT_IN_F64).then_some(value as i64)
    })
}

/// `#[serde(deserialize_with = "number::whole")]`.
pub fn whole<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    deserializer.deserialize_any(WholeNumber)
}

/// `#[serde(default, deserialize_with = "number::optional_whole")]`: `null` or absent is `None`.
pub fn optional_whole<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    struct Optional;

    impl<'de> Visitor<'de> for Optional {
        type Value = Option<i64>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a whole number or null")
        }

        fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
            whole(deserializer).map(Some)
        }
    }

    deserializer.deserialize_option(Optional)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Body {
        #[serde(deserialize_with = "super::whole")]
        n: i64,
        #[serde(default, deserialize_with = "super::optional_whole")]
        m: Option<i64>,
    }

    fn parse(json: &str) -> Result<Body, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn integral_floats_are_whole_numbers() {
        for (json, n) in [(r#"{"n": 3}"#, 3), (r#"{"n": 3.0}"#, 3), (r#"{"n": 0.0}"#, 0), (r#"{"n": -2e0}"#, -2)] {
            assert_eq!(parse(json).unwrap().n, n, "{json}");
        }
        assert_eq!(parse(r#"{"n": 9223372036854775807}"#).unwrap().n, i64::MAX);
        assert_eq!(parse(r#"{"n": 1, "m": 4.0}"#).unwrap().m, Some(4));
        assert_eq!(parse(r#"{"n": 1, "m": null}"#).unwrap().m, None);
        assert_eq!(parse(r#"{"n": 1}"#).unwrap().m, None);
    }

    #[test]
    fn whole_numbers_as_text() {
        assert_eq!(super::parse_whole("12"), Some(12));
        assert_eq!(super::parse_whole("0.0"), Some(0));
        assert_eq!(super::parse_whole("-3e0"), Some(-3));
        for bad in ["1.5", "abc", "", "inf", "NaN", "1e300", "9223372036854775808"] {
            assert_eq!(super::parse_whole(bad), None, "{bad}");
        }
    }

    #[test]
    fn other_numbers_and_types_are_refused() {
        for json in [
            r#"{"n": 1.5}"#,
            r#"{"n": "2"}"#,
            r#"{"n": 9223372036854775808}"#,
            r#"{"n": 1e300}"#,
            r#"{"n": 9007199254740993.0e3}"#,
            r#"{"n": true}"#,
            r#"{"n": null}"#,
            r#"{"n": 1, "m": 0.5}"#,
        ] {
            assert!(parse(json).is_err(), "{json}");
        }
    }
}
