//! Durations on the command line and in the environment: an integer and a unit, `500ms`,
//! `30s`, `15m`, `1h`, `1d`, and the same spelling back for `--help`.

use std::time::Duration;

const UNITS: [(&str, u64); 5] = [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)];

/// `500ms`, `30s`, `15m`, `1h` or `1d`; a bare number is refused (its unit would be a guess).
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let hint = "expected a whole number and a unit: 500ms, 30s, 15m, 1h or 1d";
    let number: u64 = number.parse().map_err(|_| format!("'{text}': {hint}"))?;
    let (_, millis) = UNITS.iter().find(|(name, _)| *name == unit.trim()).ok_or_else(|| format!("'{text}': {hint}"))?;
    number.checked_mul(*millis).map(Duration::from_millis).ok_or_else(|| format!("'{text}' is too long"))
}

/// A duration of at least one millisecond.
pub fn positive(text: &str) -> Result<Duration, String> {
    at_least(text, Duration::from_millis(1))
}

/// A polling interval: at least 10 ms.
pub fn poll_interval(text: &str) -> Result<Duration, String> {
    at_least(text, Duration::from_millis(10))
}

fn at_least(text: &str, min: Duration) -> Result<Duration, String> {
    let duration = parse(text)?;
    if duration < min {
        return Err(format!("must be at least {}", format(min)));
    }
    Ok(duration)
}

/// The largest unit that writes `duration` exactly: `86400s` is `1d`, `1500ms` stays `1500ms`.
pub fn format(duration: Duration) -> String {
    let millis = duration.as_millis();
    UNITS
        .iter()
        .find(|(_, unit)| millis > 0 && millis % u128::from(*unit) == 0)
        .map(|(name, unit)| format!("{}{name}", millis / u128::from(*unit)))
        .unwrap_or_else(|| format!("{millis}ms"))
}

/// A duration written for `--help` as `#[arg(default_value = ...)]` needs it: a `&'static str`,
/// computed once. For defaults that live elsewhere (the core's `WorkerConfig::default()`).
#[macro_export]
#[doc(hidden)]
macro_rules! duration_default {
    ($duration:expr) => {{
        static TEXT: ::std::sync::OnceLock<String> = ::std::sync::OnceLock::new();
        TEXT.get_or_init(|| $crate::duration::format($duration)).as_str()
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_round_trip() {
        for (text, duration) in [
            ("500ms", Duration::from_millis(500)),
            ("30s", Duration::from_secs(30)),
            ("15m", Duration::from_secs(900)),
            ("1h", Duration::from_secs(3600)),
            ("1d", Duration::from_secs(86_400)),
        ] {
            assert_eq!(parse(text), Ok(duration), "{text}");
            assert_eq!(format(duration), text);
        }
        assert_eq!(parse(" 90s "), Ok(Duration::from_secs(90)));
        assert_eq!(format(Duration::from_secs(90)), "90s");
        assert_eq!(format(Duration::from_millis(1500)), "1500ms");
        assert_eq!(format(Duration::ZERO), "0ms");
    }

    #[test]
    fn bare_numbers_and_unknown_units_are_refused() {
        for bad in ["", "30", "s", "1.5h", "-1s", "10 sec", "1w", "99999999999999999999d"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(positive("0s").is_err());
        assert!(poll_interval("5ms").is_err());
        assert_eq!(poll_interval("10ms"), Ok(Duration::from_millis(10)));
    }
}
