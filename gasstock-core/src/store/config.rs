//! How a store connects: pool sizes and timeouts for either backend, with each default
//! written once here. The server and the CLI expose every field as a flag and an environment
//! variable.

use std::time::Duration;

/// Connection settings for [`super::Store::open_with`]; fields that concern only
/// one backend are ignored by the other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// SQLite: connections for reads (writes always use exactly one).
    pub sqlite_read_connections: u32,
    /// SQLite: how long a write waits for another process's lock before failing.
    pub sqlite_busy_timeout: Duration,
    /// SQLite: `synchronous=FULL`, the default: every commit survives a power cut (group
    /// commit shares each fsync among the units committed together). `false` is `NORMAL`:
    /// fewer fsyncs, but a power cut can lose the last commits (a process crash cannot).
    pub sqlite_synchronous_full: bool,
    /// PostgreSQL: most connections the pool opens.
    pub pg_max_connections: u32,
    /// PostgreSQL: how long a request waits for a free connection before failing.
    pub pg_acquire_timeout: Duration,
}

impl StoreConfig {
    pub const DEFAULT_SQLITE_READ_CONNECTIONS: u32 = 4;
    pub const DEFAULT_SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
    pub const DEFAULT_PG_MAX_CONNECTIONS: u32 = 16;
    pub const DEFAULT_PG_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            sqlite_read_connections: Self::DEFAULT_SQLITE_READ_CONNECTIONS,
            sqlite_busy_timeout: Self::DEFAULT_SQLITE_BUSY_TIMEOUT,
            sqlite_synchronous_full: true,
            pg_max_connections: Self::DEFAULT_PG_MAX_CONNECTIONS,
            pg_acquire_timeout: Self::DEFAULT_PG_ACQUIRE_TIMEOUT,
        }
    }
}
