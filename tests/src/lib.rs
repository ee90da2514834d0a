//! Test harness shared by the behaviour, invariant, race, server and CLI suites: a fresh
//! database per test on every backend that is available.
//!
//! SQLite always runs. PostgreSQL runs when `GASSTOCK_TEST_PG_URL` points at a database
//! (`scripts/test-postgres.sh` starts one); each test gets its own schema there. When
//! `GASSTOCK_REQUIRE_PG=1` (CI), a missing or unreachable PostgreSQL fails the test
//! instead of skipping it.

use std::sync::atomic::{AtomicU32, Ordering};

use gasstock_core::store::{PgConfig, SqliteConfig};
use gasstock_core::{AnyStore, Gasstock, PgStore, SqliteStore};
use sqlx::Connection;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// SQLite, and PostgreSQL when configured.
    pub fn available() -> Vec<Backend> {
        let mut backends = vec![Backend::Sqlite];
        if pg_url().is_some() {
            backends.push(Backend::Postgres);
        }
        backends
    }
}

/// A fresh, empty, migrated database that lives as long as this value.
#[derive(Debug)]
pub struct TestDb {
    pub backend: Backend,
    /// A URL that the server and the CLI accept (`GASSTOCK_DATABASE_URL`).
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

/// The PostgreSQL URL to test against, or `None` (skip). Panics when Postgres is required
/// but not configured, so CI cannot silently skip it.
pub fn pg_url() -> Option<String> {
    let url = std::env::var("GASSTOCK_TEST_PG_URL").ok().filter(|url| !url.is_empty());
    if url.is_none() && pg_required() {
        panic!("GASSTOCK_REQUIRE_PG=1 but GASSTOCK_TEST_PG_URL is not set: start one with scripts/test-postgres.sh");
    }
    if url.is_none() {
        static SAID: std::sync::Once = std::sync::Once::new();
        SAID.call_once(|| {
            eprintln!("note: GASSTOCK_TEST_PG_URL is not set: PostgreSQL tests are skipped (SQLite only)")
        });
    }
    url
}

fn pg_required() -> bool {
    std::env::var("GASSTOCK_REQUIRE_PG").is_ok_and(|v| v == "1")
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("gasstock.db").display());
                TestDb { backend, url, _dir: Some(dir) }
            }
            Backend::Postgres => {
                let base = pg_url().expect("PostgreSQL is not configured");
                let schema = unique_schema();
                let mut conn = sqlx::PgConnection::connect(&base)
                    .await
                    .unwrap_or_else(|err| panic!("cannot connect to GASSTOCK_TEST_PG_URL ({base}): {err}"));
                sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut conn).await.expect("create schema");
                let separator = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
                TestDb { backend, url, _dir: None }
            }
        }
    }

    /// A store on this database (migrations applied), with room for `connections` at once.
    pub async fn store(&self, connections: u32) -> AnyStore {
        match self.backend {
            Backend::Sqlite => {
                SqliteStore::open_with(&self.url, SqliteConfig { read_connections: connections, ..Default::default() })
                    .await
                    .expect("open SQLite store")
                    .into()
            }
            Backend::Postgres => {
                PgStore::open_with(&self.url, PgConfig { max_connections: connections, ..Default::default() })
                    .await
                    .expect("open PostgreSQL store")
                    .into()
            }
        }
    }

    pub async fn core(&self) -> Gasstock {
        Gasstock::new(self.store(8).await)
    }
}

/// A schema name no other test (in this or a concurrent process) uses.
fn unique_schema() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("t{}_{}_{}", std::process::id(), nanos, NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Runs `test` once per available backend, each on a fresh database.
pub async fn for_each_backend<F, Fut>(test: F)
where
    F: Fn(TestDb) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        test(TestDb::new(backend).await).await;
    }
}
