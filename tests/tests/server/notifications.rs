//! Issue 5 over HTTP: the notification feed (own only, paged, read marks) and the live
//! Server-Sent Events stream (live in order, replay after Last-Event-ID, nothing twice,
//! keepalive, auth, shutdown).

use std::time::Duration;

use gasstock_tests::{for_each_backend, Backend};
use serde_json::{json, Value};

use crate::sse_client::{SseEvent, SseStream};
use crate::support::App;

/// A server whose streams poll every 20 ms and send a keepalive after 300 ms of silence.
pub async fn fast_app(backend: Backend) -> App {
    App::start_with(backend, |config| {
        config.stream_poll_interval = Duration::from_millis(20);
        config.stream_heartbeat = Duration::from_millis(300);
    })
    .await
}

pub const WAIT: Duration = Duration::from_secs(15);

/// The people of a story, signed in over HTTP.
pub struct People {
    pub buyer: String,
    pub other_buyer: String,
    pub seller: String,
    pub admin: String,
    pub item: i64,
}

pub async fn people(app: &App) -> People {
    let (_, buyer) = app.user("buyer@gas.rw", "buyer").await;
    let (_, other_buyer) = app.user("buyer2@gas.rw", "buyer").await;
    let (_, seller) = app.user("seller@gas.rw", "seller").await;
    let (_, admin) = app.admin("admin@gas.rw").await;
    let item = app.stock(&seller, "Jibu", json!("12kg"), "Kigali", 100, 15_000).await;
    People { buyer, other_buyer, seller, admin, item }
}

/// All of a user's notifications, oldest first, through the paged feed.
pub async fn feed(app: &App, token: &str) -> Vec<Value> {
    let mut all = Vec::new();
    for page in 1.. {
        let reply = app.get(&format!("/api/v1/notifications?page={page}&per_page=100"), token).await;
        let body = reply.expect(200, "feed").clone();
        let items = body["items"].as_array().unwrap().clone();
        let done = items.len() < 100;
        all.extend(items);
        if done {
            break;
        }
    }
    all.reverse();
    all
}

fn ids(values: &[Value]) -> Vec<i64> {
    values.iter().map(|n| n["id"].as_i64().unwrap()).collect()
}

fn stream_url(app: &App) -> String {
    app.url("/api/v1/notifications/stream")
}

/// Each event is well formed: `id:` = the notification id, `event:` = its type, `data:` the
/// notification.
#[track_caller]
fn check_event(event: &SseEvent) -> Value {
    let data = event.json();
    assert_eq!(data["id"].as_i64(), Some(event.id()), "id line = notification id: {event:?}");
    assert_eq!(event.event.as_deref(), data["event"].as_str(), "event line = notification type: {event:?}");
    for field in ["order_id", "title", "message", "created_at"] {
        assert!(!data[field].is_null(), "{field} in {data}");
    }
    data
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_is_own_only_paged_and_read_marks_stick() {
    for_each_backend(|db| async move {
        let app = fast_app(db.backend).await;
        drop(db);
        let p = people(&app).await;
        let mut orders = Vec::new();
        for _ in 0..3 {
            let order = app.order(&p.buyer, p.item, 1).await;
            app.decide_order(&p.admin, order["id"].as_i64().unwrap(), true).await;
            orders.push(order["id"].as_i64().unwrap());
        }
        let other = app.order(&p.other_buyer, p.item, 1).await;
        app.decide_order(&p.admin, other["id"].as_i64().unwrap(), false).await;

        // Own only: the buyer hears of their three approvals, the other buyer of their rejection.
        let page = app.get("/api/v1/notifications", &p.buyer).await.expect(200, "buyer feed").clone();
        assert_eq!(
            (page["page"].as_i64(), page["per_page"].as_i64(), page["total"].as_i64()),
            (Some(1), Some(20), Some(3))
        );
        let items = page["items"].as_array().unwrap();
        assert!(items.iter().all(|n| n["event"] == "order.approved" && n["read_at"].is_null()), "{page}");
        let order_ids: Vec<i64> = items.iter().map(|n| n["order_id"].as_i64().unwrap()).collect();
        assert_eq!(order_ids, orders.iter().rev().copied().collect::<Vec<_>>(), "newest first, the buyer's own orders");
        let theirs = feed(&app, &p.other_buyer).await;
        assert_eq!(theirs.len(), 1);
        assert_eq!(
            (theirs[0]["event"].as_str(), theirs[0]["order_id"].as_i64()),
            (Some("order.rejected"), other["id"].as_i64())
        );
        // The seller hears of every order placed and approved; the admin of every order placed.
        let seller_events: Vec<String> =
            feed(&app, &p.seller).await.iter().map(|n| n["event"].as_str().unwrap().to_owned()).collect();
        assert_eq!(seller_events.iter().filter(|e| *e == "order.created").count(), 4, "{seller_events:?}");
        assert_eq!(seller_events.iter().filter(|e| *e == "order.approved").count(), 3, "{seller_events:?}");
        let admin_feed = feed(&app, &p.admin).await;
        assert!(admin_feed.iter().all(|n| n["event"] == "order.created"), "{admin_feed:?}");

        // Paging like every list.
        let first = app.get("/api/v1/notifications?per_page=2", &p.buyer).await.expect(200, "page 1").clone();
        let second = app.get("/api/v1/notifications?per_page=2&page=2", &p.buyer).await.expect(200, "page 2").clone();
        assert_eq!((first["items"].as_array().unwrap().len(), second["items"].as_array().unwrap().len()), (2, 1));
        assert_eq!((first["total"].as_i64(), second["total"].as_i64()), (Some(3), Some(3)));
        app.get("/api/v1/notifications?per_page=101", &p.buyer).await.expect_error(422, "invalid", "per_page 101");
        app.get("/api/v1/notifications?unread=maybe", &p.buyer).await.expect_error(
            400,
            "invalid_query",
            "unread=maybe",
        );
        app.get("/api/v1/notifications?user_id=1", &p.buyer).await.expect_error(
            400,
            "invalid_query",
            "unknown parameter",
        );

        // Read one: only one's own (someone else's is a 404, as if it did not exist).
        let oldest = items.last().unwrap()["id"].as_i64().unwrap();
        let path = format!("/api/v1/notifications/{oldest}/read");
        app.call("POST", &path, Some(&p.other_buyer), None).await.expect_error(404, "not_found", "another's");
        app.call("POST", &path, Some(&p.seller), None).await.expect_error(404, "not_found", "the seller's view");
        app.call("POST", "/api/v1/notifications/999999/read", Some(&p.buyer), None).await.expect_error(
            404,
            "not_found",
            "no such",
        );
        app.call("POST", &path, None, None).await.expect_error(401, "unauthenticated", "no token");
        let read = app.call("POST", &path, Some(&p.buyer), None).await.expect(200, "read").clone();
        assert_eq!(read["id"].as_i64(), Some(oldest));
        assert!(read["read_at"].is_string(), "{read}");
        let again = app.call("POST", &path, Some(&p.buyer), None).await.expect(200, "read again").clone();
        assert_eq!(again["read_at"], read["read_at"], "the first reading time is kept");
        let unread = app.get("/api/v1/notifications?unread=true", &p.buyer).await.expect(200, "unread").clone();
        assert_eq!(unread["total"].as_i64(), Some(2));
        assert!(unread["items"].as_array().unwrap().iter().all(|n| n["id"].as_i64() != Some(oldest)));
        let everything = app.get("/api/v1/notifications?unread=false", &p.buyer).await.expect(200, "all").clone();
        assert_eq!(everything["total"].as_i64(), Some(3));

        // Read all: only one's own, and says how many.
        let marked = app.call("POST", "/api/v1/notifications/read-all", Some(&p.buyer), None).await;
        assert_eq!(marked.expect(200, "read-all"), &json!({"marked": 2}));
        let marked = app.call("POST", "/api/v1/notifications/read-all", Some(&p.buyer), None).await;
        assert_eq!(marked.expect(200, "read-all again"), &json!({"marked": 0}));
        let unread = app.get("/api/v1/notifications?unread=true", &p.buyer).await.expect(200, "unread").clone();
        assert_eq!(unread["total"].as_i64(), Some(0));
        let theirs = app.get("/api/v1/notifications?unread=true", &p.other_buyer).await.expect(200, "theirs").clone();
        assert_eq!(theirs["total"].as_i64(), Some(1), "another user's stay unread");
        app.call("POST", "/api/v1/notifications/read-all", None, None).await.expect_error(
            401,
            "unauthenticated",
            "no token",
        );
        app.call("GET", "/api/v1/notifications", None, None).await.expect_error(401, "unauthenticated", "no token");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_is_live_in_order_and_a_reconnection_gets_exactly_what_it_missed() {
    for_each_backend(|db| async move {
        let app = fast_app(db.backend).await;
        drop(db);
        let p = people(&app).await;
        // Something before the stream opens: not replayed to a client without Last-Event-ID.
        let early = app.order(&p.buyer, p.item, 1).await;

        let mut seller = SseStream::connect(&app.client, &stream_url(&app), &p.seller, None).await;
        let mut bystander = SseStream::connect(&app.client, &stream_url(&app), &p.other_buyer, None).await;
        assert!(seller.until_keepalive(WAIT, "a quiet start").await.is_empty(), "no replay without Last-Event-ID");

        // Live, in order.
        let a = app.order(&p.buyer, p.item, 1).await["id"].as_i64().unwrap();
        let b = app.order(&p.buyer, p.item, 2).await["id"].as_i64().unwrap();
        app.decide_order(&p.admin, a, true).await;
        let live = seller.events(3, WAIT, "three live notifications").await;
        let seen: Vec<(String, i64)> = live
            .iter()
            .map(|event| {
                let data = check_event(event);
                (data["event"].as_str().unwrap().to_owned(), data["order_id"].as_i64().unwrap())
            })
            .collect();
        assert_eq!(
            seen,
            [("order.created".to_owned(), a), ("order.created".to_owned(), b), ("order.approved".to_owned(), a)]
        );
        let live_ids: Vec<i64> = live.iter().map(SseEvent::id).collect();
        assert!(live_ids.windows(2).all(|w| w[0] < w[1]), "ids increase: {live_ids:?}");
        assert!(seller.until_keepalive(WAIT, "after the live events").await.is_empty(), "nothing twice");
        let last_seen = *live_ids.last().unwrap();

        // Disconnect, changes happen, reconnect with Last-Event-ID: exactly the missed ones.
        drop(seller);
        app.decide_order(&p.admin, b, false).await;
        app.decide_order(&p.admin, early["id"].as_i64().unwrap(), true).await;
        let c = app.order(&p.buyer, p.item, 3).await["id"].as_i64().unwrap();
        let missed: Vec<i64> = ids(&feed(&app, &p.seller).await).into_iter().filter(|id| *id > last_seen).collect();
        assert_eq!(missed.len(), 3, "rejected b, approved early, created c");
        let mut seller = SseStream::connect(&app.client, &stream_url(&app), &p.seller, Some(last_seen)).await;
        let replayed = seller.until_keepalive(WAIT, "the replay").await;
        replayed.iter().for_each(|event| {
            check_event(event);
        });
        assert_eq!(replayed.iter().map(SseEvent::id).collect::<Vec<_>>(), missed, "exactly the missed ones, in order");
        assert_eq!(replayed.last().unwrap().json()["order_id"].as_i64(), Some(c));

        // Then live again, and still nothing twice.
        app.decide_order(&p.admin, c, true).await;
        let next = seller.event(WAIT, "live after the replay").await;
        assert_eq!((next.event.as_deref(), check_event(&next)["order_id"].as_i64()), (Some("order.approved"), Some(c)));
        assert!(next.id() > *missed.last().unwrap());
        assert!(seller.until_keepalive(WAIT, "after the replay").await.is_empty(), "nothing twice");

        // Replay from 0 gives the whole history, oldest first.
        let mut again = SseStream::connect(&app.client, &stream_url(&app), &p.seller, Some(0)).await;
        let everything = again.until_keepalive(WAIT, "replay from 0").await;
        assert_eq!(everything.iter().map(SseEvent::id).collect::<Vec<_>>(), ids(&feed(&app, &p.seller).await));

        // The other buyer heard nothing of it all.
        assert!(bystander.until_keepalive(WAIT, "a bystander").await.is_empty(), "a buyer never sees another's");
        let buyer_feed = ids(&feed(&app, &p.buyer).await);
        let mut buyer = SseStream::connect(&app.client, &stream_url(&app), &p.buyer, Some(0)).await;
        let buyer_events = buyer.until_keepalive(WAIT, "the buyer's replay").await;
        assert_eq!(buyer_events.iter().map(SseEvent::id).collect::<Vec<_>>(), buyer_feed, "the buyer's own only");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_needs_a_valid_token_and_a_numeric_last_event_id() {
    let app = fast_app(Backend::Sqlite).await;
    let p = people(&app).await;
    let url = stream_url(&app);
    let reply = app.send(app.client.get(&url)).await;
    reply.expect_error(401, "unauthenticated", "no token");
    let reply = app.send(app.client.get(&url).bearer_auth("not.a.token")).await;
    reply.expect_error(401, "unauthenticated", "bad token");
    for bad in ["abc", "-1", "1.5"] {
        let reply = app.send(app.client.get(&url).bearer_auth(&p.buyer).header("last-event-id", bad)).await;
        reply.expect_error(400, "invalid_header", bad);
    }
    // A revoked token ends an open stream at its next keepalive.
    let mut stream = SseStream::connect(&app.client, &url, &p.buyer, None).await;
    app.call("POST", "/api/v1/logout", Some(&p.buyer), None).await.expect(204, "logout");
    stream.until_closed(WAIT, "after logout").await;
    let reply = app.send(app.client.get(&url).bearer_auth(&p.buyer)).await;
    reply.expect_error(401, "unauthenticated", "revoked token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_ends_open_streams() {
    let app = fast_app(Backend::Sqlite).await;
    let p = people(&app).await;
    let mut stream = SseStream::connect(&app.client, &stream_url(&app), &p.seller, None).await;
    stream.until_keepalive(WAIT, "the stream is open").await;
    let App { db: _db, server, .. } = app;
    tokio::time::timeout(WAIT, server.shutdown()).await.expect("shutdown does not wait for open streams");
    stream.until_closed(WAIT, "the server shut down").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_by_another_server_instance_reaches_the_stream() {
    for_each_backend(|db| async move {
        let app = fast_app(db.backend).await;
        drop(db);
        let p = people(&app).await;
        let mut config = crate::support::config(&app.db);
        config.webhook_worker = None;
        let other = gasstock_server::start(config).await.expect("second instance starts");
        assert!(!other.runs_webhook_worker(), "webhook_worker: None (GASSTOCK_WEBHOOKS=off) runs none");
        assert!(app.server.runs_webhook_worker(), "the default config runs one");
        let mut seller = SseStream::connect(&app.client, &stream_url(&app), &p.seller, None).await;
        // Placed through the other instance.
        let reply = app
            .client
            .post(format!("{}/api/v1/orders", other.url()))
            .bearer_auth(&p.buyer)
            .json(&json!({"inventory_id": p.item, "quantity": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 201);
        let order: Value = reply.json().await.unwrap();
        let event = seller.event(WAIT, "the order placed on the other instance").await;
        assert_eq!(
            (event.event.as_deref(), check_event(&event)["order_id"].as_i64()),
            (Some("order.created"), order["id"].as_i64())
        );
        other.shutdown().await;
    })
    .await;
}
