//! The `gasstock` command line, run as a real process against a fresh database on every
//! available backend (SQLite always, PostgreSQL when GASSTOCK_TEST_PG_URL is set).
//!
//! One integration-test binary (`cargo test -p gasstock-cli --test cli`). It runs the binary
//! that `cargo test` built for it (`CARGO_BIN_EXE_gasstock`), with the features of the same
//! build, so the workspace's dependencies are compiled once. The databases, fixtures and the
//! running server come from the shared support crate `gasstock-tests` (a dev-dependency; it
//! does not depend on this crate).
//!
//! The command tree's `Command::debug_assert()` runs in the binary's own unit tests.

mod harness;

mod admin;
mod cylinders;
mod drivers;
pub mod import;
mod momo_sandbox;
mod payouts;
mod reports;
mod seed;
/// The SSE client of the server suite, shared rather than copied.
#[path = "../../../tests/tests/server/sse_client.rs"]
mod sse_client;
mod stream;
mod webhooks;
