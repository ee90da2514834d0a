//! The settings every command shares, in one struct: from flags (before or after the command)
//! or `GASSTOCK_*` environment variables, each default written once. The database's defaults
//! live in the core (`DEFAULT_DATABASE_URL`, `StoreConfig`) and are only referred to here; the
//! flags and variables are those of `gasstock-server`, so one environment serves both.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{value_parser, ArgAction, Args};
use gasstock_core::store::StoreConfig;

use crate::output::Format;

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct Settings {
    /// Database to use: sqlite://FILE or postgres://USER@HOST/DB; by default the server's
    /// default file, so both share it.
    #[arg(long, global = true, env = "GASSTOCK_DATABASE_URL", default_value = gasstock_core::DEFAULT_DATABASE_URL,
          hide_env_values = true)]
    pub database_url: String,

    /// Output format: human table, or stable JSON/CSV for scripts.
    #[arg(long, global = true, env = "GASSTOCK_FORMAT", value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// The admin account acting (recorded in the status events); must be an admin.
    #[arg(long = "as", global = true, env = "GASSTOCK_ADMIN", value_name = "EMAIL")]
    pub as_admin: Option<String>,

    #[command(flatten)]
    pub store: StoreSettings,
}

/// How the store connects; the defaults are `StoreConfig`'s. Durations are a whole number and
/// a unit: 500ms, 30s, 15m, 1h, 1d.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Database connections")]
pub struct StoreSettings {
    /// SQLite: connections for reads (writes always use exactly one).
    #[arg(long, global = true, env = "GASSTOCK_SQLITE_READ_CONNECTIONS",
          default_value_t = StoreConfig::DEFAULT_SQLITE_READ_CONNECTIONS, value_parser = value_parser!(u32).range(1..))]
    pub sqlite_read_connections: u32,

    /// SQLite: how long a write waits for another process's lock (a running server's) before
    /// failing.
    #[arg(long, global = true, env = "GASSTOCK_SQLITE_BUSY_TIMEOUT",
          default_value_t = Span(StoreConfig::DEFAULT_SQLITE_BUSY_TIMEOUT))]
    pub sqlite_busy_timeout: Span,

    /// SQLite: every commit survives a power cut (synchronous=FULL); `false` (NORMAL) is faster but a power cut can lose the last commits.
    #[arg(long, global = true, env = "GASSTOCK_SQLITE_SYNCHRONOUS_FULL",
          default_value_t = StoreConfig::default().sqlite_synchronous_full,
          value_parser = BoolishValueParser::new(), action = ArgAction::Set)]
    pub sqlite_synchronous_full: bool,

    /// PostgreSQL: most connections the pool opens.
    #[arg(long, global = true, env = "GASSTOCK_PG_MAX_CONNECTIONS",
          default_value_t = StoreConfig::DEFAULT_PG_MAX_CONNECTIONS, value_parser = value_parser!(u32).range(1..))]
    pub pg_max_connections: u32,

    /// PostgreSQL: how long a command waits for a free connection before failing.
    #[arg(long, global = true, env = "GASSTOCK_PG_ACQUIRE_TIMEOUT",
          default_value_t = Span(StoreConfig::DEFAULT_PG_ACQUIRE_TIMEOUT), value_parser = Span::positive)]
    pub pg_acquire_timeout: Span,
}

impl StoreSettings {
    pub fn store_config(&self) -> StoreConfig {
        StoreConfig {
            sqlite_read_connections: self.sqlite_read_connections,
            sqlite_busy_timeout: self.sqlite_busy_timeout.0,
            sqlite_synchronous_full: self.sqlite_synchronous_full,
            pg_max_connections: self.pg_max_connections,
            pg_acquire_timeout: self.pg_acquire_timeout.0,
        }
    }
}

/// A duration as written on the command line and in `--help`: `500ms`, `30s`, `15m`, `1h`,
/// `1d` (the server's syntax). A bare number is refused: its unit would be a guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span(pub Duration);

impl Span {
    /// At least one millisecond.
    fn positive(text: &str) -> Result<Span, String> {
        let span: Span = text.parse()?;
        if span.0.is_zero() {
            return Err("must be at least 1ms".into());
        }
        Ok(span)
    }
}

impl FromStr for Span {
    type Err = String;

    fn from_str(text: &str) -> Result<Span, String> {
        gasstock_core::domain::parse_duration(text).map(Span)
    }
}

/// The largest unit that writes the span exactly: `5000ms` is `5s`, `1500ms` stays `1500ms`.
impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&gasstock_core::domain::format_duration(self.0))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    #[command(no_binary_name = true)]
    struct Only {
        #[command(flatten)]
        settings: Settings,
    }

    /// Parses `args` with no environment: each flag's env variable is switched off.
    fn parse(args: &[&str]) -> Result<Settings, clap::Error> {
        use clap::{CommandFactory, FromArgMatches};
        let command = Only::command().mut_args(|arg| arg.env(None::<&str>));
        let matches = command.try_get_matches_from(args)?;
        Only::from_arg_matches(&matches).map(|only| only.settings)
    }

    #[test]
    fn the_defaults_are_the_cores() {
        let settings = parse(&[]).unwrap();
        assert_eq!(settings.database_url, gasstock_core::DEFAULT_DATABASE_URL);
        assert_eq!(settings.format, Format::Table);
        assert_eq!(settings.as_admin, None);
        assert_eq!(settings.store.store_config(), StoreConfig::default());
    }

    #[test]
    fn every_store_setting_has_a_flag() {
        let settings = parse(&[
            "--sqlite-read-connections",
            "2",
            "--sqlite-busy-timeout",
            "1500ms",
            "--sqlite-synchronous-full",
            "off",
            "--pg-max-connections",
            "3",
            "--pg-acquire-timeout",
            "1m",
        ])
        .unwrap();
        let config = settings.store.store_config();
        assert_eq!((config.sqlite_read_connections, config.pg_max_connections), (2, 3));
        assert_eq!(config.sqlite_busy_timeout, Duration::from_millis(1500));
        assert_eq!(config.pg_acquire_timeout, Duration::from_secs(60));
        assert!(!config.sqlite_synchronous_full, "durable is the default; off is explicit");
        for bad in [
            ["--sqlite-read-connections", "0"],
            ["--pg-max-connections", "0"],
            ["--pg-acquire-timeout", "0s"],
            ["--sqlite-busy-timeout", "5"],
        ] {
            assert!(parse(&bad).is_err(), "{bad:?}");
        }
    }
}
