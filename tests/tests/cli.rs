//! The `gasstock` command line, run as a real process against a fresh database on every
//! available backend (SQLite always, PostgreSQL when GASSTOCK_TEST_PG_URL is set).
//!
//! Finding the binary: `CARGO_BIN_EXE_gasstock` exists only inside the crate that owns the
//! binary, and a test crate cannot depend on a binary on stable Cargo. So the first test
//! that needs it runs `cargo build -p gasstock-cli --bin gasstock` (same profile and target
//! directory as this test executable; a no-op when it is fresh) and uses
//! `<target>/<profile>/gasstock`, next to this executable's `deps/` folder. Set
//! `GASSTOCK_BIN` to test another binary instead.
//!
//! The command tree's `Command::debug_assert()` runs in gasstock-cli's own unit tests
//! (`cargo test -p gasstock-cli`), where the clap types are visible.

#[path = "cli/harness.rs"]
mod harness;

#[path = "cli/admin.rs"]
mod admin;
#[path = "cli/import.rs"]
mod import;
#[path = "cli/reports.rs"]
mod reports;
#[path = "cli/seed.rs"]
mod seed;
#[path = "server/sse_client.rs"]
mod sse_client;
#[path = "cli/webhooks.rs"]
mod webhooks;
