//! Settings of earlier versions that were renamed when durations gained their unit
//! (`--token-ttl-secs 3600` became `--token-ttl 1h`). An operator's existing flags and
//! environment keep working: each old spelling is rewritten into the new flag, with its old
//! unit, and reported so that the deployment can be updated.

/// Old flag, old variable, new flag, new variable, the unit the old value was counted in.
const RENAMED: [(&str, &str, &str, &str, &str); 6] = [
    ("--token-ttl-secs", "GASSTOCK_TOKEN_TTL_SECS", "--token-ttl", "GASSTOCK_TOKEN_TTL", "s"),
    ("--stream-poll-ms", "GASSTOCK_STREAM_POLL_MS", "--stream-poll-interval", "GASSTOCK_STREAM_POLL_INTERVAL", "ms"),
    (
        "--stream-heartbeat-secs",
        "GASSTOCK_STREAM_HEARTBEAT_SECS",
        "--stream-heartbeat",
        "GASSTOCK_STREAM_HEARTBEAT",
        "s",
    ),
    (
        "--webhook-poll-ms",
        "GASSTOCK_WEBHOOK_POLL_MS",
        "--webhook-poll-interval",
        "GASSTOCK_WEBHOOK_POLL_INTERVAL",
        "ms",
    ),
    ("--webhook-timeout-secs", "GASSTOCK_WEBHOOK_TIMEOUT_SECS", "--webhook-timeout", "GASSTOCK_WEBHOOK_TIMEOUT", "s"),
    (
        "--webhook-retry-for-secs",
        "GASSTOCK_WEBHOOK_RETRY_FOR_SECS",
        "--webhook-retry-for",
        "GASSTOCK_WEBHOOK_RETRY_FOR",
        "s",
    ),
];

/// The arguments (without the program name) with every old flag rewritten, plus a new flag for
/// each old variable whose new variable and flag are not given, and a warning for each.
pub fn upgrade(args: Vec<String>, env: impl Fn(&str) -> Option<String>) -> (Vec<String>, Vec<String>) {
    let mut upgraded = Vec::with_capacity(args.len());
    let mut warnings = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
            None => (arg.clone(), None),
        };
        match RENAMED.iter().find(|(old, ..)| *old == name) {
            Some((old, _, new, _, unit)) => {
                let value = inline.or_else(|| args.next()).unwrap_or_default();
                warnings.push(format!("{old} is deprecated: use {new} {value}{unit}"));
                upgraded.push(new.to_string());
                upgraded.push(with_unit(&value, unit));
            }
            None => upgraded.push(arg),
        }
    }
    for (_, old_env, new, new_env, unit) in RENAMED {
        let given = |flag: &str| upgraded.iter().any(|arg| arg == flag || arg.starts_with(&format!("{flag}=")));
        if let Some(value) = env(old_env) {
            if env(new_env).is_none() && !given(new) {
                warnings.push(format!("{old_env} is deprecated: set {new_env}={value}{unit}"));
                upgraded.push(new.to_owned());
                upgraded.push(with_unit(&value, unit));
            }
        }
    }
    (upgraded, warnings)
}

/// A bare number gets its old unit; anything else is passed on for the new flag to judge.
fn with_unit(value: &str, unit: &str) -> String {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        format!("{value}{unit}")
    } else {
        value.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|arg| arg.to_string()).collect()
    }

    #[test]
    fn old_flags_and_variables_keep_their_meaning() {
        let env = |name: &str| match name {
            "GASSTOCK_STREAM_POLL_MS" => Some("250".to_owned()),
            "GASSTOCK_WEBHOOK_TIMEOUT_SECS" => Some("20".to_owned()),
            "GASSTOCK_WEBHOOK_TIMEOUT" => Some("5s".to_owned()),
            _ => None,
        };
        let (args, warnings) = upgrade(strings(&["--bind", "0.0.0.0:80", "--token-ttl-secs", "7200"]), env);
        assert_eq!(args, strings(&["--bind", "0.0.0.0:80", "--token-ttl", "7200s", "--stream-poll-interval", "250ms"]));
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        // The new variable wins over the old one, silently.
        assert!(!args.iter().any(|arg| arg.starts_with("--webhook-timeout")));

        let (args, _) = upgrade(strings(&["--stream-heartbeat-secs=30"]), |_| None);
        assert_eq!(args, strings(&["--stream-heartbeat", "30s"]));
        let (args, _) = upgrade(strings(&["--token-ttl", "2h"]), |name| {
            (name == "GASSTOCK_TOKEN_TTL_SECS").then(|| "60".to_owned())
        });
        assert_eq!(args, strings(&["--token-ttl", "2h"]), "an explicit new flag wins over an old variable");
    }

    #[test]
    fn upgraded_arguments_parse() {
        let (args, _) = upgrade(strings(&["--token-ttl-secs", "7200", "--webhook-poll-ms", "1500"]), |_| None);
        let config = crate::Config::try_parse_from(args, false).expect("parses");
        assert_eq!(config.token_ttl.as_secs(), 7200);
    }
}
