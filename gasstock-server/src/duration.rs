//! Durations on the command line and in the environment: an integer and a unit, `500ms`,
//! `30s`, `15m`, `1h`, `1d`, and the same spelling back for `--help`.

use std::time::Duration;

/// `500ms`, `30s`, `15m`, `1h` or `1d` (the grammar is the core's, shared with the CLI).
pub fn parse(text: &str) -> Result<Duration, String> {
    gasstock_core::domain::parse_duration(text)
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

/// The largest unit that writes `duration` exactly (the core's spelling).
pub fn format(duration: Duration) -> String {
    gasstock_core::domain::format_duration(duration)
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
    fn bounds_are_checked() {
        assert!(parse("30").is_err(), "a bare number has no unit");
        assert!(positive("0s").is_err());
        assert!(poll_interval("5ms").is_err());
        assert_eq!(poll_interval("10ms"), Ok(Duration::from_millis(10)));
    }
}
