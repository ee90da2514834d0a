//! The process's log subscriber: `--log` filters, `--log-format` picks text or JSON lines, on
//! stderr. Each request runs in a `request` span carrying its `request_id` (see `serve`), so
//! every line logged while serving it names it: as a `request{request_id=...}:` prefix in
//! text, as `"span": {"name": "request", "request_id": ...}` in JSON.

use tracing_subscriber::EnvFilter;

use crate::operations::LogFormat;

/// Installs the subscriber; a bad filter falls back to `info` (with a warning on stderr).
pub fn init(filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|err| {
        eprintln!("warning: bad --log filter '{filter}': {err}; using info");
        EnvFilter::new("info")
    });
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        // Colours only on a terminal: not in files, journald or `docker logs`.
        LogFormat::Text => builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init(),
        LogFormat::Json => builder.json().with_current_span(true).with_span_list(false).init(),
    }
}
