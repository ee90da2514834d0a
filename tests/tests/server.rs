//! The HTTP API of docs/api.md, end to end: the real server on a random loopback port, over a
//! fresh database per test, on SQLite and (when `GASSTOCK_TEST_PG_URL` is set) PostgreSQL.

#[path = "server/authz.rs"]
mod authz;
#[path = "server/cors.rs"]
mod cors;
#[path = "server/cylinders.rs"]
mod cylinders;
#[path = "server/delivery.rs"]
mod delivery;
#[path = "server/expiry.rs"]
mod expiry;
#[path = "server/http_layer.rs"]
mod http_layer;
#[path = "server/input.rs"]
mod input;
#[path = "server/lifecycle.rs"]
mod lifecycle;
#[path = "server/live.rs"]
mod live;
#[path = "server/logging.rs"]
mod logging;
#[path = "server/low_stock.rs"]
mod low_stock;
#[path = "server/metrics.rs"]
mod metrics;
#[path = "server/mobile_money.rs"]
mod mobile_money;
#[path = "server/money_bounds.rs"]
mod money_bounds;
#[path = "server/notifications.rs"]
mod notifications;
#[path = "server/openapi.rs"]
mod openapi;
#[path = "server/sellers.rs"]
mod sellers;
#[path = "server/shutdown.rs"]
mod shutdown;
#[path = "server/sse_client.rs"]
mod sse_client;
#[path = "server/story.rs"]
mod story;
#[path = "server/stream_ticket.rs"]
mod stream_ticket;
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
