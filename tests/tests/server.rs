//! The HTTP API of docs/api.md, end to end: the real server on a random loopback port, over a
//! fresh database per test, on SQLite and (when `GASSTOCK_TEST_PG_URL` is set) PostgreSQL.

#[path = "server/authz.rs"]
mod authz;
#[path = "server/delivery.rs"]
mod delivery;
#[path = "server/http_layer.rs"]
mod http_layer;
#[path = "server/input.rs"]
mod input;
#[path = "server/lifecycle.rs"]
mod lifecycle;
#[path = "server/logging.rs"]
mod logging;
#[path = "server/money_bounds.rs"]
mod money_bounds;
#[path = "server/notifications.rs"]
mod notifications;
#[path = "server/openapi.rs"]
mod openapi;
#[path = "server/sellers.rs"]
mod sellers;
#[path = "server/sse_client.rs"]
mod sse_client;
#[path = "server/story.rs"]
mod story;
#[path = "server/support.rs"]
mod support;
#[path = "server/throttle.rs"]
mod throttle;
#[path = "server/tokens.rs"]
mod tokens;
#[path = "server/webhooks.rs"]
mod webhooks;
#[path = "server/zones.rs"]
mod zones;
