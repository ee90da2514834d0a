//! The server's settings: one struct, read from flags and `GASSTOCK_*` environment variables
//! by clap. Each default is written once: in the `#[arg]` below, or, for the store's pools and
//! the webhook worker, in the core (`StoreConfig`, `WorkerConfig::default()`), which the
//! arguments refer to. [`Config::new`] (for code and tests) takes the same defaults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::{BoolishValueParser, RangedU64ValueParser};
use clap::{value_parser, ArgAction, Args, CommandFactory, FromArgMatches, Parser};
use gasstock_core::notifications::StreamLimits;
use gasstock_core::store::StoreConfig;
use gasstock_core::throttle::ThrottleRules;
use gasstock_core::webhooks::WorkerConfig;

use crate::client_ip::TrustedProxies;
pub use crate::database_url::DatabaseUrl;
use crate::duration;
use crate::duration_default;
use crate::secret::Secret;
use crate::webhook_settings::WebhookFlags;

/// The gasstock REST API server (docs/api.md). With no configuration it serves the embedded
/// SQLite file `gasstock.db` on 127.0.0.1:8080.
///
/// Durations are a whole number and a unit: 500ms, 30s, 15m, 1h, 1d.
#[derive(Debug, Parser)]
#[command(
    name = "gasstock-server",
    version,
    after_help = "gasstock-server --healthcheck [SETTINGS]: exits 0 when the server of these settings (--bind) \
                  answers GET /readyz with 200, else 1 (the container's health check)."
)]
struct Cli {
    #[command(flatten)]
    config: Config,
}

/// Everything the server needs to run. [`Config::from_args`] reads it from the command line
/// and the environment; [`Config::new`] gives the same defaults in code.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Database URL: sqlite://FILE or postgres://USER@HOST/DB.
    #[arg(long, env = "GASSTOCK_DATABASE_URL", default_value = gasstock_core::DEFAULT_DATABASE_URL)]
    pub database_url: DatabaseUrl,

    /// Address to listen on.
    #[arg(long, env = "GASSTOCK_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Log filter (tracing EnvFilter syntax), e.g. `info` or `gasstock_server=debug`.
    #[arg(long, env = "GASSTOCK_LOG", default_value = "info")]
    pub log: String,

    /// Largest accepted request body, in bytes (413 above).
    #[arg(long, env = "GASSTOCK_BODY_LIMIT", default_value_t = 64 * 1024,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..))]
    pub body_limit: usize,

    /// HS256 key of the tokens (at least 32 bytes in production). Without it a random secret
    /// is generated once and kept in --jwt-secret-file.
    #[arg(long, env = "GASSTOCK_JWT_SECRET", hide_env_values = true, help_heading = "Sign-in")]
    pub jwt_secret: Option<Secret>,

    /// Where the generated secret is kept when no explicit secret is given.
    #[arg(long, env = "GASSTOCK_JWT_SECRET_FILE", default_value = ".gasstock-jwt-secret", help_heading = "Sign-in")]
    pub jwt_secret_file: PathBuf,

    /// `production` refuses to start without an explicit secret of at least 32 bytes.
    #[arg(long = "env", env = "GASSTOCK_ENV", default_value = "development", help_heading = "Sign-in")]
    pub environment: String,

    /// How long a token from `POST /login` stays valid.
    #[arg(long, env = "GASSTOCK_TOKEN_TTL", default_value = "1h", value_parser = duration::positive, value_name = "DURATION",
          help_heading = "Sign-in")]
    pub token_ttl: Duration,

    /// Failed logins for one email from one client before each further attempt from that
    /// client must wait (--login-delay-base, doubling; 429 meanwhile). Other clients are not
    /// affected: the owner of the account still signs in from elsewhere.
    #[arg(long, env = "GASSTOCK_LOGIN_ATTEMPTS_PER_EMAIL", default_value_t = ThrottleRules::DEFAULT_LOGIN_FREE,
          value_parser = value_parser!(u32).range(1..), help_heading = "Sign-in")]
    pub login_attempts_per_email: u32,

    /// Failed logins from one client address, whatever the email, before each further
    /// attempt from it must wait (doubling delays; 429 meanwhile).
    #[arg(long, env = "GASSTOCK_LOGIN_ATTEMPTS_PER_CLIENT", default_value_t = ThrottleRules::DEFAULT_LOGIN_CLIENT_FREE,
          value_parser = value_parser!(u32).range(1..), help_heading = "Sign-in")]
    pub login_attempts_per_client: u32,

    /// A throttling counter is forgotten this long after its last wait ended.
    #[arg(long, env = "GASSTOCK_LOGIN_WINDOW", value_parser = duration::parse, value_name = "DURATION",
          default_value = duration_default!(ThrottleRules::DEFAULT_FORGET_AFTER), help_heading = "Sign-in")]
    pub login_window: Duration,

    /// How often this instance's notification watcher looks for new notifications when
    /// nothing woke it (one query for all its streams). On PostgreSQL every write wakes it at
    /// once (LISTEN/NOTIFY); on SQLite this instance's writes do, and a change made by another
    /// process (the CLI) arrives within this interval.
    #[arg(long, env = "GASSTOCK_STREAM_POLL_INTERVAL", default_value = "500ms",
          value_parser = duration::poll_interval, value_name = "DURATION", help_heading = "Notification streams")]
    pub stream_poll_interval: Duration,

    /// Idle time after which a notification stream sends a `: keepalive` comment.
    #[arg(long, env = "GASSTOCK_STREAM_HEARTBEAT", default_value = "15s", value_parser = duration::poll_interval, value_name = "DURATION",
          help_heading = "Notification streams")]
    pub stream_heartbeat: Duration,

    /// Most notification streams one user may hold open on this instance (429 beyond).
    #[arg(long, env = "GASSTOCK_STREAM_MAX_PER_USER", default_value_t = StreamLimits::DEFAULT_PER_USER,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..), help_heading = "Notification streams")]
    pub stream_max_per_user: usize,

    /// Most notification streams this instance serves at once (503 beyond). Each is an open
    /// connection: --max-connections must leave room for them.
    #[arg(long, env = "GASSTOCK_STREAM_MAX_PER_INSTANCE", default_value_t = StreamLimits::DEFAULT_PER_INSTANCE,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..), help_heading = "Notification streams")]
    pub stream_max_per_instance: usize,

    #[command(flatten)]
    pub store: StoreSettings,

    /// How often open mobile-money payments are asked about (requests whose callback never
    /// came); unsent ones are sent again at the same pace. Used when GASSTOCK_MOMO_BASE_URL
    /// is set (the GASSTOCK_MOMO_* settings: see the README).
    #[arg(long, env = "GASSTOCK_PAYMENT_POLL_INTERVAL", default_value = "5s", value_parser = duration::poll_interval,
          value_name = "DURATION", help_heading = "Mobile money")]
    pub payment_poll_interval: Duration,

    /// The marketplace's commission on mobile-money orders, in basis points of the collected
    /// amount (250 = 2.5 %), kept when the seller's payout is sent.
    #[arg(long, env = "GASSTOCK_COMMISSION_BPS", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=10_000),
          help_heading = "Mobile money")]
    pub commission_bps: u32,

    /// A pending order not approved within this long expires and its stock returns. The
    /// expiry sweep runs in every instance; each order expires once.
    #[arg(long, env = "GASSTOCK_PENDING_TTL", default_value = "72h", value_parser = duration::positive,
          value_name = "DURATION", help_heading = "Expiry")]
    pub pending_ttl: Duration,

    /// A mobile-money order not paid within this long of its request-to-pay expires and its
    /// stock returns. The sweep runs every quarter of the shorter TTL (100ms to 1m).
    #[arg(long, env = "GASSTOCK_PAYMENT_TTL", default_value = "30m", value_parser = duration::positive,
          value_name = "DURATION", help_heading = "Expiry")]
    pub payment_ttl: Duration,

    /// The MoMo adapter's settings, read from `GASSTOCK_MOMO_*` by the core
    /// (`MomoConfig::from_env`); `None`: mobile money is off (no collector runs).
    #[arg(skip)]
    pub momo: Option<gasstock_core::payments::MomoConfig>,

    /// The webhook delivery worker started with the server; `None` runs none. Set from the
    /// webhook flags (`--webhooks`, `--webhook-*`), whose defaults are the core's
    /// `WorkerConfig::default()`.
    #[arg(skip)]
    pub webhook_worker: Option<WorkerConfig>,

    /// Only read into `webhook_worker` when the config is made.
    #[command(flatten)]
    webhook_flags: WebhookFlags,

    /// Throttling delays, sign-up throttling and trusted proxies.
    #[command(flatten)]
    pub throttling: ThrottleSettings,

    /// Longest time from the first byte of a request to the end of its head; a slower client
    /// is disconnected.
    #[arg(long, env = "GASSTOCK_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = duration::positive,
          value_name = "DURATION", help_heading = "Connections")]
    pub header_read_timeout: Duration,

    /// How long a connection may wait for its next request (or its first) before it is closed.
    #[arg(long, env = "GASSTOCK_IDLE_TIMEOUT", default_value = "30s", value_parser = duration::positive,
          value_name = "DURATION", help_heading = "Connections")]
    pub idle_timeout: Duration,

    /// Longest time from the end of a request's head to the end of its body (408 after).
    #[arg(long, env = "GASSTOCK_BODY_READ_TIMEOUT", default_value = "30s", value_parser = duration::positive,
          value_name = "DURATION", help_heading = "Connections")]
    pub body_read_timeout: Duration,

    /// Most connections served at once; more wait in the listen backlog. Keep it under the
    /// process's open-file limit (`ulimit -n`) minus the database connections.
    #[arg(long, env = "GASSTOCK_MAX_CONNECTIONS", default_value_t = 512,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..), help_heading = "Connections")]
    pub max_connections: usize,

    /// Metrics, CORS, log format and shutdown (`operations`).
    #[command(flatten)]
    pub ops: crate::operations::OpsSettings,
}

/// How throttled attempts wait, how sign-up is throttled, and whose `X-Forwarded-For` is
/// believed; the rule itself is the core's (`gasstock_core::throttle`, defaults there).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Sign-in and sign-up throttling")]
pub struct ThrottleSettings {
    /// The first wait once a client has used its free attempts; it doubles with each further
    /// failure, up to --login-delay-cap.
    #[arg(long, env = "GASSTOCK_LOGIN_DELAY_BASE", value_parser = duration::positive, value_name = "DURATION",
          default_value = duration_default!(ThrottleRules::DEFAULT_DELAY_BASE))]
    pub login_delay_base: Duration,

    /// The longest wait between two throttled attempts.
    #[arg(long, env = "GASSTOCK_LOGIN_DELAY_CAP", value_parser = duration::positive, value_name = "DURATION",
          default_value = duration_default!(ThrottleRules::DEFAULT_DELAY_CAP))]
    pub login_delay_cap: Duration,

    /// Sign-ups (`POST /register`, every attempt) from one client address before each further
    /// one must wait (doubling delays; 429 meanwhile).
    #[arg(long, env = "GASSTOCK_REGISTER_ATTEMPTS_PER_CLIENT", default_value_t = ThrottleRules::DEFAULT_REGISTER_FREE,
          value_parser = value_parser!(u32).range(1..))]
    pub register_attempts_per_client: u32,

    /// Proxies (addresses or CIDR networks, comma-separated) whose `X-Forwarded-For` names the
    /// client: from them, the right-most address that is not a trusted proxy is the client.
    /// `none` ignores the header (the socket peer is the client).
    #[arg(long, env = "GASSTOCK_TRUSTED_PROXIES", default_value = "none", value_name = "CIDR,...",
          value_parser = |text: &str| text.parse::<TrustedProxies>())]
    pub trusted_proxies: TrustedProxies,
}

impl Config {
    /// From the command line and the `GASSTOCK_*` environment variables (exits with the usage
    /// on a bad value, and on `--help`).
    /// Settings renamed since earlier versions are read too (see `legacy_settings`); the
    /// returned warnings say what to rename.
    pub fn from_args() -> (Self, Vec<String>) {
        let (args, warnings) =
            crate::legacy_settings::upgrade(std::env::args().skip(1).collect(), |name| std::env::var(name).ok());
        match Config::try_parse_from(args, true) {
            Ok(config) => (config, warnings),
            Err(err) => err.exit(),
        }
    }

    /// The defaults of the flags (never the environment), with this database and secret.
    pub fn new(database_url: impl Into<String>, jwt_secret: impl Into<Vec<u8>>) -> Self {
        let mut config = Config::try_parse_from([], false).expect("the defaults make a config");
        config.database_url = DatabaseUrl(database_url.into());
        config.jwt_secret = Some(Secret(jwt_secret.into()));
        config
    }

    /// The command line: every setting with its variable and default (`--help`).
    pub fn command() -> clap::Command {
        Cli::command()
    }

    /// From these arguments (no program name), and the environment when `with_env`.
    pub fn try_parse_from(args: impl IntoIterator<Item = String>, with_env: bool) -> Result<Self, clap::Error> {
        let mut command = Config::command().no_binary_name(true);
        if !with_env {
            command = command.mut_args(|arg| arg.env(None::<&str>));
        }
        let matches = command.try_get_matches_from(args)?;
        Ok(Cli::from_arg_matches(&matches)?.config.with_flags())
    }

    fn with_flags(mut self) -> Self {
        self.webhook_worker = self.webhook_flags.worker();
        self
    }

    /// The throttling rules these settings make.
    pub fn throttle_rules(&self) -> ThrottleRules {
        let free = [
            self.login_attempts_per_email,
            self.login_attempts_per_client,
            self.throttling.register_attempts_per_client,
        ];
        ThrottleRules::new(free, self.throttling.login_delay_base, self.throttling.login_delay_cap, self.login_window)
    }

    /// The connection timeouts and cap.
    pub fn serve_limits(&self) -> crate::serve::Limits {
        crate::serve::Limits {
            timeouts: crate::connection::Timeouts {
                header_read: self.header_read_timeout,
                idle: self.idle_timeout,
                body_read: self.body_read_timeout,
            },
            max_connections: self.max_connections,
            shutdown_timeout: self.ops.shutdown_timeout,
        }
    }

    /// The bounds on notification streams.
    pub fn stream_limits(&self) -> StreamLimits {
        StreamLimits { per_user: self.stream_max_per_user, per_instance: self.stream_max_per_instance }
    }

    /// `--env production`.
    pub fn is_production(&self) -> bool {
        self.environment.eq_ignore_ascii_case("production")
    }
}

/// How the store connects; see `gasstock_core::store::StoreConfig`, where the defaults live.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Database connections")]
pub struct StoreSettings {
    /// SQLite: connections for reads (writes always use exactly one).
    #[arg(long, env = "GASSTOCK_SQLITE_READ_CONNECTIONS", default_value_t = StoreConfig::DEFAULT_SQLITE_READ_CONNECTIONS,
          value_parser = value_parser!(u32).range(1..))]
    pub sqlite_read_connections: u32,

    /// SQLite: how long a write waits for another process's lock before failing.
    #[arg(long, env = "GASSTOCK_SQLITE_BUSY_TIMEOUT", value_parser = duration::parse, value_name = "DURATION",
          default_value = duration_default!(StoreConfig::DEFAULT_SQLITE_BUSY_TIMEOUT))]
    pub sqlite_busy_timeout: Duration,

    /// SQLite: every commit survives a power cut (synchronous=FULL); `false` (NORMAL) is faster but a power cut can lose the last commits.
    #[arg(long, env = "GASSTOCK_SQLITE_SYNCHRONOUS_FULL", default_value_t = StoreConfig::default().sqlite_synchronous_full,
          value_parser = BoolishValueParser::new(), action = ArgAction::Set)]
    pub sqlite_synchronous_full: bool,

    /// PostgreSQL: most connections the pool opens.
    #[arg(long, env = "GASSTOCK_PG_MAX_CONNECTIONS", default_value_t = StoreConfig::DEFAULT_PG_MAX_CONNECTIONS,
          value_parser = value_parser!(u32).range(1..))]
    pub pg_max_connections: u32,

    /// PostgreSQL: how long a request waits for a free connection before failing.
    #[arg(long, env = "GASSTOCK_PG_ACQUIRE_TIMEOUT", value_parser = duration::positive, value_name = "DURATION",
          default_value = duration_default!(StoreConfig::DEFAULT_PG_ACQUIRE_TIMEOUT))]
    pub pg_acquire_timeout: Duration,
}

impl StoreSettings {
    pub fn store_config(&self) -> StoreConfig {
        StoreConfig {
            sqlite_read_connections: self.sqlite_read_connections,
            sqlite_busy_timeout: self.sqlite_busy_timeout,
            sqlite_synchronous_full: self.sqlite_synchronous_full,
            pg_max_connections: self.pg_max_connections,
            pg_acquire_timeout: self.pg_acquire_timeout,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, clap::Error> {
        Config::try_parse_from(args.iter().map(|arg| arg.to_string()), false)
    }

    #[test]
    fn every_setting_has_a_variable_and_a_default() {
        for arg in Config::command().get_arguments() {
            let id = arg.get_id().as_str();
            if matches!(id, "help" | "version") {
                continue;
            }
            assert!(arg.get_env().is_some_and(|env| env.to_string_lossy().starts_with("GASSTOCK_")), "{id}: variable");
            assert!(id == "jwt_secret" || !arg.get_default_values().is_empty(), "{id}: default");
        }
    }

    /// The README's settings table lists every flag with its variable, so an operator reading
    /// it sees the same settings as `--help`.
    #[test]
    fn the_readme_lists_every_setting() {
        let readme = include_str!("../../README.md");
        for arg in Config::command().get_arguments() {
            let (Some(long), Some(env)) = (arg.get_long(), arg.get_env()) else { continue };
            let row = format!("| `--{long}` | `{}` |", env.to_string_lossy());
            assert!(readme.contains(&row), "README.md has no settings row starting {row}");
        }
    }

    #[test]
    fn cli_is_well_formed() {
        Config::command().debug_assert();
    }

    #[test]
    fn defaults_come_from_one_place() {
        let config = Config::new("sqlite://x.db", b"k".to_vec());
        assert_eq!(config.database_url.as_str(), "sqlite://x.db");
        assert_eq!(config.bind, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(config.token_ttl, Duration::from_secs(3600));
        assert_eq!(config.body_limit, 64 * 1024);
        assert_eq!((config.login_attempts_per_email, config.login_attempts_per_client), (5, 30));
        assert_eq!(config.login_window, Duration::from_secs(15 * 60));
        assert_eq!(config.throttle_rules(), ThrottleRules::default());
        assert_eq!(config.throttling.trusted_proxies, "none".parse().unwrap());
        assert!(!config.throttling.trusted_proxies.contains("127.0.0.1".parse().unwrap()));
        assert_eq!(
            (config.stream_poll_interval, config.stream_heartbeat),
            (Duration::from_millis(500), Duration::from_secs(15))
        );
        assert_eq!(config.store.store_config(), StoreConfig::default());
        assert_eq!(format!("{:?}", config.webhook_worker), format!("{:?}", Some(WorkerConfig::default())));
        assert!(!config.is_production());
        assert_eq!(
            (config.header_read_timeout, config.idle_timeout, config.body_read_timeout),
            (Duration::from_secs(10), Duration::from_secs(30), Duration::from_secs(30))
        );
        assert_eq!(config.max_connections, 512);
        assert_eq!(config.stream_limits(), StreamLimits::default());
        assert_eq!((config.stream_max_per_user, config.stream_max_per_instance), (10, 10_000));
    }

    #[test]
    fn every_limit_is_a_flag() {
        let config = parse(&[
            "--token-ttl=10m",
            "--body-limit=1024",
            "--login-attempts-per-email=2",
            "--login-attempts-per-client=3",
            "--login-window=1h",
            "--stream-poll-interval=50ms",
            "--stream-heartbeat=2s",
            "--sqlite-read-connections=2",
            "--sqlite-busy-timeout=1s",
            "--sqlite-synchronous-full=off",
            "--pg-max-connections=4",
            "--pg-acquire-timeout=3s",
            "--webhooks=off",
            "--webhook-poll-interval=20ms",
            "--webhook-timeout=5s",
            "--webhook-retry-base=1s",
            "--webhook-retry-cap=1m",
            "--webhook-retry-for=2h",
            "--webhook-batch=4",
            "--login-delay-base=2s",
            "--login-delay-cap=1m",
            "--register-attempts-per-client=7",
            "--trusted-proxies=10.0.0.0/8,192.0.2.1",
            "--header-read-timeout=2s",
            "--idle-timeout=3s",
            "--body-read-timeout=4s",
            "--max-connections=9",
            "--webhook-per-target=2",
            "--stream-max-per-user=3",
            "--stream-max-per-instance=40",
        ])
        .unwrap();
        let rules = config.throttle_rules();
        assert_eq!((rules.login.free, rules.login_client.free, rules.register.free), (2, 3, 7));
        assert_eq!((rules.register.base, rules.login.cap), (Duration::from_secs(2), Duration::from_secs(60)));
        assert_eq!(rules.login_client.forget_after, Duration::from_secs(3600));
        assert!(config.throttling.trusted_proxies.contains("10.1.1.1".parse().unwrap()));
        assert!(config.throttling.trusted_proxies.contains("192.0.2.1".parse().unwrap()));
        assert_eq!(config.token_ttl, Duration::from_secs(600));
        assert_eq!(config.body_limit, 1024);
        assert_eq!((config.login_attempts_per_email, config.login_attempts_per_client), (2, 3));
        assert_eq!(config.login_window, Duration::from_secs(3600));
        assert_eq!(
            (config.stream_poll_interval, config.stream_heartbeat),
            (Duration::from_millis(50), Duration::from_secs(2))
        );
        let store = config.store.store_config();
        assert_eq!((store.sqlite_read_connections, store.pg_max_connections), (2, 4));
        assert_eq!(
            (store.sqlite_busy_timeout, store.pg_acquire_timeout),
            (Duration::from_secs(1), Duration::from_secs(3))
        );
        assert!(!store.sqlite_synchronous_full, "durable is the default; off is explicit");
        assert!(config.webhook_worker.is_none(), "--webhooks=off runs no worker");
        let flags = WebhookFlags { enabled: true, ..config.webhook_flags };
        let worker = flags.worker().unwrap();
        assert_eq!((worker.poll_interval, worker.request_timeout), (Duration::from_millis(20), Duration::from_secs(5)));
        assert_eq!(
            (worker.retry_base, worker.retry_cap, worker.retry_for),
            (Duration::from_secs(1), Duration::from_secs(60), Duration::from_secs(7200))
        );
        assert_eq!((worker.batch, worker.per_target), (4, 2));
        let limits = config.serve_limits();
        assert_eq!(
            (limits.timeouts.header_read, limits.timeouts.idle, limits.timeouts.body_read),
            (Duration::from_secs(2), Duration::from_secs(3), Duration::from_secs(4))
        );
        assert_eq!(limits.max_connections, 9);
        assert_eq!(config.stream_limits(), StreamLimits { per_user: 3, per_instance: 40 });
    }

    #[test]
    fn bad_values_are_refused() {
        for off in ["off", "false", "0", "no"] {
            assert!(parse(&["--webhooks", off]).unwrap().webhook_worker.is_none(), "{off}");
        }
        for bad in [
            &["--webhooks", "sometimes"][..],
            &["--webhook-timeout", "31s"],
            &["--webhook-timeout", "0s"],
            &["--webhook-per-target", "0"],
            &["--token-ttl", "3600"],
            &["--stream-poll-interval", "1ms"],
            &["--body-limit", "0"],
            &["--login-attempts-per-email", "0"],
            &["--trusted-proxies", "10.0.0.0/33"],
            &["--trusted-proxies", "proxy.example"],
            &["--login-delay-base", "0s"],
            &["--idle-timeout", "0s"],
            &["--header-read-timeout", "10"],
            &["--max-connections", "0"],
            &["--stream-max-per-user", "0"],
            &["--stream-max-per-instance", "-1"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
