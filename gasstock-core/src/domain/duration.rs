//! Durations as people write them in settings: a whole number and a unit, `500ms`, `30s`,
//! `15m`, `1h`, `1d`. One grammar for the server, the CLI and the core's own settings (the
//! pending-order and payment TTLs of docs/api.md read the same way).

use std::time::Duration;

const UNITS: [(&str, u64); 5] = [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)];

/// `500ms`, `30s`, `15m`, `1h` or `1d`; a bare number is refused (its unit would be a guess).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let hint = || format!("'{text}': expected a whole number and a unit: 500ms, 30s, 15m, 1h or 1d");
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| hint())?;
    let (_, millis) = UNITS.iter().find(|(name, _)| *name == unit.trim()).ok_or_else(hint)?;
    number.checked_mul(*millis).map(Duration::from_millis).ok_or_else(|| format!("'{text}' is too long"))
}

/// The largest unit that writes `duration` exactly: `86400s` is `1d`, `1500ms` stays `1500ms`.
pub fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    UNITS
        .iter()
        .find(|(_, unit)| millis > 0 && millis % u128::from(*unit) == 0)
        .map(|(name, unit)| format!("{}{name}", millis / u128::from(*unit)))
        .unwrap_or_else(|| format!("{millis}ms"))
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
            assert_eq!(parse_duration(text), Ok(duration), "{text}");
            assert_eq!(format_duration(duration), text);
        }
        assert_eq!(parse_duration(" 90s "), Ok(Duration::from_secs(90)));
        assert_eq!(format_duration(Duration::from_secs(90)), "90s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1500ms");
        assert_eq!(format_duration(Duration::ZERO), "0ms");
    }

    #[test]
    fn bare_numbers_and_unknown_units_are_refused() {
        for bad in ["", "30", "s", "1.5h", "-1s", "10 sec", "1w", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
