//! Issue 16: one notification watcher per server instance, fanning out to the open streams.
//! Each notification reaches exactly its recipients' streams (several per user), a client
//! reconnecting while notifications arrive loses and repeats nothing, wake-ups deliver
//! without waiting for the interval (in-process on SQLite, LISTEN/NOTIFY on PostgreSQL, also
//! across instances), a change made through another store (as the CLI does) arrives, and the
//! streams are bounded per user (429) and per instance (503).

use std::collections::BTreeSet;
use std::time::Duration;

use gasstock_tests::{for_each_backend, Backend};
use serde_json::{json, Value};

use crate::notifications::{fast_app, feed, WAIT};
use crate::sse_client::{SseEvent, SseStream};
use crate::support::App;

/// An interval the tests never wait for: what arrives, arrived through a wake-up.
const NEVER: Duration = Duration::from_secs(3600);

struct Cast {
    buyer: (i64, String),
    other_buyer: (i64, String),
    seller: (i64, String),
    admin: (i64, String),
    item: i64,
}

async fn cast(app: &App) -> Cast {
    let buyer = app.user("buyer@gas.rw", "buyer").await;
    let other_buyer = app.user("buyer2@gas.rw", "buyer").await;
    let seller = app.user("seller@gas.rw", "seller").await;
    let admin = app.admin("admin@gas.rw").await;
    let item = app.stock(&seller.1, "Jibu", json!("12kg"), "Kigali", 1000, 15_000).await;
    Cast { buyer, other_buyer, seller, admin, item }
}

fn stream_url(app: &App) -> String {
    app.url("/api/v1/notifications/stream")
}

/// The notification ids of events (from their data: late ones have no `id:` line).
fn data_ids(events: &[SseEvent]) -> Vec<i64> {
    events.iter().map(|event| event.json()["id"].as_i64().expect("a notification id")).collect()
}

fn feed_ids(values: &[Value]) -> Vec<i64> {
    values.iter().map(|n| n["id"].as_i64().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_notification_reaches_exactly_its_recipients_streams() {
    for_each_backend(|db| async move {
        let app = fast_app(db.backend).await;
        drop(db);
        let c = cast(&app).await;
        // Several streams per user: three phones for the buyer, two for the others.
        let mut streams = Vec::new();
        for (who, token, count) in [
            ("buyer", &c.buyer.1, 3),
            ("other buyer", &c.other_buyer.1, 2),
            ("seller", &c.seller.1, 2),
            ("admin", &c.admin.1, 1),
        ] {
            for _ in 0..count {
                streams.push((
                    who,
                    token.clone(),
                    SseStream::connect(&app.client, &stream_url(&app), token, None).await,
                ));
            }
        }
        for (who, _, stream) in &mut streams {
            assert!(stream.until_keepalive(WAIT, who).await.is_empty(), "{who}: a quiet start");
        }
        let a = app.order(&c.buyer.1, c.item, 1).await["id"].as_i64().unwrap();
        let b = app.order(&c.other_buyer.1, c.item, 2).await["id"].as_i64().unwrap();
        app.decide_order(&c.admin.1, a, true).await;
        app.decide_order(&c.admin.1, b, false).await;
        let d = app.order(&c.buyer.1, c.item, 3).await["id"].as_i64().unwrap();
        app.decide_order(&c.admin.1, d, true).await;

        let mut seen_by = std::collections::BTreeMap::<&str, Vec<i64>>::new();
        for (who, token, stream) in &mut streams {
            let expected = feed_ids(&feed(&app, token).await);
            assert!(!expected.is_empty(), "{who} was notified of something");
            let events = stream.events(expected.len(), WAIT, who).await;
            assert_eq!(
                events.iter().map(SseEvent::id).collect::<Vec<_>>(),
                expected,
                "{who}: exactly their own, in order"
            );
            assert!(stream.until_keepalive(WAIT, who).await.is_empty(), "{who}: nothing more, nothing twice");
            let previous = seen_by.insert(who, expected.clone());
            assert!(
                previous.is_none_or(|previous| previous == expected),
                "{who}: every stream of a user gets the same"
            );
        }
        // Nobody got anyone else's: the users' sets are disjoint.
        let all: Vec<i64> = seen_by.values().flatten().copied().collect();
        assert_eq!(all.len(), all.iter().collect::<BTreeSet<_>>().len(), "{seen_by:?}");
        assert_eq!(seen_by["buyer"].len(), 2, "approved a and d");
        assert_eq!(seen_by["other buyer"].len(), 1, "rejected b");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnecting_while_notifications_arrive_loses_and_repeats_nothing() {
    for_each_backend(|db| async move {
        let app = fast_app(db.backend).await;
        drop(db);
        let c = cast(&app).await;
        const ORDERS: usize = 25;
        // One writer places and approves orders without pause: two notifications for the
        // seller each time.
        let writer = {
            let (client, base) = (app.client.clone(), app.server.url());
            let (buyer, admin, item) = (c.buyer.1.clone(), c.admin.1.clone(), c.item);
            tokio::spawn(async move {
                for _ in 0..ORDERS {
                    let placed = client
                        .post(format!("{base}/api/v1/orders"))
                        .bearer_auth(&buyer)
                        .json(&json!({"inventory_id": item, "quantity": 1}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(placed.status(), 201);
                    let id = placed.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
                    let approved = client
                        .patch(format!("{base}/api/v1/admin/orders/{id}/approve"))
                        .bearer_auth(&admin)
                        .json(&json!({"approve": true}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(approved.status(), 200);
                }
            })
        };
        // The seller's app keeps dropping the connection after a few events and reconnecting
        // with the last id it got.
        let mut received = Vec::new();
        let mut last_event_id = 0;
        let mut take = 1;
        while received.len() < 2 * ORDERS {
            let mut stream = SseStream::connect(&app.client, &stream_url(&app), &c.seller.1, Some(last_event_id)).await;
            let wanted = take.min(2 * ORDERS - received.len());
            let events = stream.events(wanted, WAIT, "the seller's notifications").await;
            for event in &events {
                if let Some(id) = event.id.as_deref() {
                    last_event_id = id.parse().unwrap();
                }
            }
            received.extend(data_ids(&events));
            take = take % 4 + 1;
        }
        writer.await.unwrap();
        let mut last = SseStream::connect(&app.client, &stream_url(&app), &c.seller.1, Some(last_event_id)).await;
        assert!(last.until_keepalive(WAIT, "after everything").await.is_empty(), "nothing left, nothing twice");
        let expected = feed_ids(&feed(&app, &c.seller.1).await);
        assert_eq!(expected.len(), 2 * ORDERS);
        assert_eq!(received, expected, "every notification once, in order, across the reconnections");
    })
    .await;
}

/// A server whose watcher's interval never comes during the test: only wake-ups deliver.
async fn woken_app(backend: Backend) -> App {
    App::start_with(backend, |config| {
        config.stream_poll_interval = NEVER;
        config.stream_heartbeat = Duration::from_millis(300);
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_wakes_the_watcher_without_waiting_for_the_interval() {
    for_each_backend(|db| async move {
        let backend = db.backend;
        let app = woken_app(backend).await;
        drop(db);
        let c = cast(&app).await;
        let mut seller = SseStream::connect(&app.client, &stream_url(&app), &c.seller.1, None).await;
        let order = app.order(&c.buyer.1, c.item, 1).await["id"].as_i64().unwrap();
        let event = seller.event(WAIT, "an order placed through this instance").await;
        assert_eq!((event.event.as_deref(), event.json()["order_id"].as_i64()), (Some("order.created"), Some(order)));

        if backend == Backend::Postgres {
            // LISTEN/NOTIFY: a write by another server instance, and one by another store
            // (what the CLI does), wake this instance's watcher at their commit.
            let mut config = crate::support::config(&app.db);
            config.stream_poll_interval = NEVER;
            config.webhook_worker = None;
            let other = gasstock_server::start(config).await.expect("second instance starts");
            let mut on_other = SseStream::connect(
                &app.client,
                &format!("{}/api/v1/notifications/stream", other.url()),
                &c.buyer.1,
                None,
            )
            .await;
            let approved = app
                .client
                .patch(format!("{}/api/v1/admin/orders/{order}/approve", other.url()))
                .bearer_auth(&c.admin.1)
                .json(&json!({"approve": true}))
                .send()
                .await
                .unwrap();
            assert_eq!(approved.status(), 200);
            let event = seller.event(WAIT, "the approval made on the other instance").await;
            assert_eq!(
                (event.event.as_deref(), event.json()["order_id"].as_i64()),
                (Some("order.approved"), Some(order))
            );
            let event = on_other.event(WAIT, "the buyer's stream on the other instance").await;
            assert_eq!(
                (event.event.as_deref(), event.json()["order_id"].as_i64()),
                (Some("order.approved"), Some(order))
            );

            let store = app.db.core().await;
            let buyer = gasstock_core::Actor::new(c.buyer.0, gasstock_core::domain::Role::Buyer);
            let input = gasstock_tests::fixtures::order_input(c.item, 2);
            let (placed, _) = store.place_order(&buyer, &input, None).await.expect("order through another store");
            let event = seller.event(WAIT, "the order placed through another store").await;
            assert_eq!(event.json()["order_id"].as_i64(), Some(placed.id));
            other.shutdown().await;
        }
        assert!(seller.until_keepalive(WAIT, "after the changes").await.is_empty(), "nothing twice");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_through_another_store_reaches_the_stream() {
    // On SQLite another process's writes (the CLI's) wake nobody here: the watcher's interval
    // finds them. Another store in this process is such a writer.
    for_each_backend(|db| async move {
        let app = fast_app(db.backend).await;
        drop(db);
        let c = cast(&app).await;
        let mut buyer_stream = SseStream::connect(&app.client, &stream_url(&app), &c.buyer.1, None).await;
        let mut seller_stream = SseStream::connect(&app.client, &stream_url(&app), &c.seller.1, None).await;
        let order = app.order(&c.buyer.1, c.item, 1).await["id"].as_i64().unwrap();
        seller_stream.event(WAIT, "the order").await;
        let other = app.db.core().await;
        let admin = gasstock_core::Actor::new(c.admin.0, gasstock_core::domain::Role::Admin);
        other.decide_order(&admin, order, &gasstock_tests::fixtures::approve()).await.expect("approved elsewhere");
        for (who, stream) in [("buyer", &mut buyer_stream), ("seller", &mut seller_stream)] {
            let event = stream.event(WAIT, who).await;
            assert_eq!(
                (event.event.as_deref(), event.json()["order_id"].as_i64()),
                (Some("order.approved"), Some(order))
            );
            assert!(stream.until_keepalive(WAIT, who).await.is_empty(), "{who}: once");
        }
    })
    .await;
}

/// Opens a stream and returns its status and, unless 200, the error body and Retry-After.
async fn try_open(app: &App, token: &str) -> (u16, Value, Option<String>) {
    let response = app.client.get(stream_url(app)).bearer_auth(token).send().await.expect("request sent");
    let status = response.status().as_u16();
    if status == 200 {
        return (status, Value::Null, None);
    }
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    (status, response.json().await.expect("a JSON error"), retry_after)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_are_bounded_per_user_and_per_instance() {
    for_each_backend(|db| async move {
        let app = App::start_with(db.backend, |config| {
            config.stream_heartbeat = Duration::from_millis(300);
            config.stream_max_per_user = 2;
            config.stream_max_per_instance = 3;
        })
        .await;
        drop(db);
        let c = cast(&app).await;
        let url = stream_url(&app);
        let first = SseStream::connect(&app.client, &url, &c.buyer.1, None).await;
        let _second = SseStream::connect(&app.client, &url, &c.buyer.1, None).await;
        let (status, body, _) = try_open(&app, &c.buyer.1).await;
        assert_eq!((status, body["error"]["code"].as_str()), (429, Some("too_many_streams")), "{body}");
        assert_eq!(body["error"]["details"]["limit"], 2);
        crate::support::assert_error_body(&body, "429");
        // Another user still may, up to the instance's bound.
        let mut seller = SseStream::connect(&app.client, &url, &c.seller.1, None).await;
        let (status, body, retry_after) = try_open(&app, &c.other_buyer.1).await;
        assert_eq!((status, body["error"]["code"].as_str()), (503, Some("streams_unavailable")), "{body}");
        assert_eq!(body["error"]["details"]["limit"], 3);
        assert!(retry_after.is_some(), "503 says when to come back");
        // A refused stream took no place; a closed one gives its place back.
        drop(first);
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let (status, body, _) = try_open(&app, &c.buyer.1).await;
            if status == 200 {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "the closed stream's place was not freed: {body}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // The open ones still work.
        let order = app.order(&c.buyer.1, c.item, 1).await["id"].as_i64().unwrap();
        assert_eq!(seller.event(WAIT, "still live").await.json()["order_id"].as_i64(), Some(order));
    })
    .await;
}
