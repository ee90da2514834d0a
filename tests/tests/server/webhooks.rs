//! Webhooks delivered by the worker that the server starts: signed, retried, surviving a
//! restart, once per event with two instances, and never slowing the API.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gasstock_core::commands::PageRequest;
use gasstock_core::webhooks::{verify, WorkerConfig, SIGNATURE_HEADER};
use gasstock_core::Actor;
use gasstock_server::{Config, RunningServer};
use gasstock_tests::{for_each_backend, Backend};
use serde_json::{json, Value};
use warp::Filter;

use crate::notifications::{people, People, WAIT};
use crate::support::App;

#[derive(Debug, Clone)]
struct Received {
    signature: String,
    event: String,
    body: String,
}

impl Received {
    fn event_id(&self) -> i64 {
        serde_json::from_str::<Value>(&self.body).unwrap()["id"].as_i64().unwrap()
    }
}

/// A receiver on 127.0.0.1 (webhooks to it need the private-host opt-in) that records every successful POST and answers 500 to the first
/// `fail_first`, and to all while `failing` is set.
#[derive(Clone)]
struct Receiver {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    posts: Arc<AtomicUsize>,
    failing: Arc<AtomicBool>,
}

impl Receiver {
    async fn start(fail_first: usize) -> Receiver {
        let received = Arc::new(Mutex::new(Vec::new()));
        let posts = Arc::new(AtomicUsize::new(0));
        let failing = Arc::new(AtomicBool::new(false));
        let (log, count, fail) = (received.clone(), posts.clone(), failing.clone());
        let route = warp::post()
            .and(warp::header::<String>(SIGNATURE_HEADER))
            .and(warp::header::<String>("gasstock-event"))
            .and(warp::body::bytes())
            .map(move |signature: String, event: String, body: bytes::Bytes| {
                if count.fetch_add(1, Ordering::SeqCst) < fail_first || fail.load(Ordering::SeqCst) {
                    return warp::http::StatusCode::INTERNAL_SERVER_ERROR;
                }
                let body = String::from_utf8_lossy(&body).into_owned();
                log.lock().unwrap().push(Received { signature, event, body });
                warp::http::StatusCode::NO_CONTENT
            });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(warp::serve(route).incoming(listener).run());
        Receiver { addr, received, posts, failing }
    }

    fn url(&self) -> String {
        format!("http://{}/hooks", self.addr)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

fn fast_worker() -> WorkerConfig {
    WorkerConfig {
        poll_interval: Duration::from_millis(20),
        request_timeout: Duration::from_secs(10),
        retry_base: Duration::from_millis(50),
        retry_cap: Duration::from_millis(200),
        retry_for: Duration::from_secs(120),
        batch: 8,
        per_target: 16,
    }
}

fn tweak(config: &mut Config) {
    config.webhook_worker = Some(fast_worker());
    config.stream_poll_interval = Duration::from_millis(20);
}

async fn start_instance(app: &App) -> RunningServer {
    let mut config = crate::support::config(&app.db);
    tweak(&mut config);
    gasstock_server::start(config).await.expect("instance starts")
}

/// The admin actor of the server's core (webhooks are managed from the CLI, i.e. the core).
async fn admin_actor(app: &App) -> Actor {
    app.server.core().admin_actor("admin@gas.rw").await.expect("admin")
}

/// Order -> approve -> invoice -> approve invoice -> deliver, over HTTP. Returns the order id.
async fn story(app: &App, p: &People) -> i64 {
    let order = app.order(&p.buyer, p.item, 1).await["id"].as_i64().unwrap();
    app.decide_order(&p.admin, order, true).await;
    let invoice = app.post("/api/v1/seller/invoice", &p.seller, json!({"order_id": order})).await;
    let invoice = invoice.expect(201, "invoice")["id"].as_i64().unwrap();
    app.patch(&format!("/api/v1/admin/invoices/{invoice}/approve"), &p.admin, Some(json!({"approve": true})))
        .await
        .expect(200, "approve invoice");
    app.patch(&format!("/api/v1/admin/delivery/{order}/confirm"), &p.admin, None).await.expect(200, "deliver");
    order
}

/// Waits until no delivery is pending; returns them all (newest first).
async fn settled(app: &App, admin: &Actor, at_least: usize) -> Vec<gasstock_core::webhooks::WebhookDelivery> {
    let core = app.server.core();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let page = PageRequest::new(None, Some(100)).unwrap();
        let deliveries = core.webhook_deliveries(admin, None, page).await.unwrap().items;
        if deliveries.len() >= at_least && deliveries.iter().all(|d| d.status.as_str() != "pending") {
            return deliveries;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "deliveries still pending after 30 s: {:?}",
            deliveries.iter().map(|d| (d.id, &d.status, d.attempts, &d.last_error)).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every received event id, with how many times it arrived.
fn arrivals(receiver: &Receiver) -> BTreeMap<i64, usize> {
    let mut counts = BTreeMap::new();
    for received in receiver.received() {
        *counts.entry(received.event_id()).or_insert(0) += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_delivers_subscribed_events_signed_and_retries_failures() {
    for_each_backend(|db| async move {
        let app = App::start_with(db.backend, tweak).await;
        drop(db);
        assert!(app.server.runs_webhook_worker());
        let p = people(&app).await;
        let admin = admin_actor(&app).await;
        // The receiver fails the first two attempts: the event arrives after retries.
        let receiver = Receiver::start(2).await;
        let events = vec!["order.approved,payment.released".to_owned()];
        let hook = app.server.core().add_webhook(&admin, &receiver.url(), &events, true).await.unwrap();
        let order = story(&app, &p).await;

        let deliveries = settled(&app, &admin, 2).await;
        assert!(deliveries.iter().all(|d| d.status.as_str() == "delivered"), "{deliveries:?}");
        let got = receiver.received();
        let kinds: Vec<&str> = got.iter().map(|r| r.event.as_str()).collect();
        assert_eq!(kinds.len(), 2, "{kinds:?}");
        assert!(kinds.contains(&"order.approved") && kinds.contains(&"payment.released"), "{kinds:?}");
        assert!(receiver.posts.load(Ordering::SeqCst) >= 4, "two failed attempts before");
        assert!(deliveries.iter().map(|d| d.attempts).sum::<i64>() >= 4, "{deliveries:?}");
        let now = chrono::Utc::now().timestamp();
        for r in &got {
            assert!(verify(&hook.secret, &r.signature, r.body.as_bytes(), now, 300), "signature verifies: {r:?}");
            assert!(!verify("whsec_other", &r.signature, r.body.as_bytes(), now, 300), "not with another secret");
            let body: Value = serde_json::from_str(&r.body).unwrap();
            assert_eq!(
                (body["type"].as_str(), body["data"]["order_id"].as_i64()),
                (Some(r.event.as_str()), Some(order))
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restart_in_the_middle_loses_no_delivery() {
    for_each_backend(|db| async move {
        let app = App::start_with(db.backend, tweak).await;
        drop(db);
        let p = people(&app).await;
        let admin = admin_actor(&app).await;
        // Failing until the restart: deliveries are pending (with backoff) when the server stops.
        let receiver = Receiver::start(0).await;
        receiver.failing.store(true, Ordering::SeqCst);
        app.server.core().add_webhook(&admin, &receiver.url(), &["*".to_owned()], true).await.unwrap();
        story(&app, &p).await;
        let deadline = tokio::time::Instant::now() + WAIT;
        while receiver.posts.load(Ordering::SeqCst) < 3 {
            assert!(tokio::time::Instant::now() < deadline, "the worker made no attempts within {WAIT:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }

        // Stop the server mid-way, change things while no server runs, start a new one.
        let App { db, server, client } = app;
        server.shutdown().await;
        let core = db.core().await;
        let page = PageRequest::new(None, Some(100)).unwrap();
        let pending = core.webhook_deliveries(&admin, None, page).await.unwrap().items;
        assert!(
            pending.iter().any(|d| d.status.as_str() == "pending" && d.attempts >= 1),
            "failed deliveries wait for a retry when the server stops: {pending:?}"
        );
        assert!(receiver.received().is_empty());
        receiver.failing.store(false, Ordering::SeqCst);
        let buyer = core.user_by_email("buyer@gas.rw").await.unwrap().unwrap();
        let placed = core
            .place_order(&Actor::new(buyer.id, buyer.role), &gasstock_tests::fixtures::order_input(p.item, 1), None)
            .await
            .unwrap()
            .0;
        let mut config = crate::support::config(&db);
        tweak(&mut config);
        let server = gasstock_server::start(config).await.expect("restarts");
        let app = App { db, server, client };

        let deliveries = settled(&app, &admin, 8).await;
        assert_eq!(deliveries.len(), 8, "{deliveries:?}");
        assert!(deliveries.iter().all(|d| d.status.as_str() == "delivered"), "{deliveries:?}");
        let counts = arrivals(&receiver);
        let expected: BTreeMap<i64, usize> = deliveries.iter().map(|d| (d.event_id, 1)).collect();
        assert_eq!(counts, expected, "every event once (7 of the story + the order placed while down)");
        assert!(receiver.received().iter().any(|r| {
            let body: Value = serde_json::from_str(&r.body).unwrap();
            body["type"] == "order.created" && body["data"]["order_id"].as_i64() == Some(placed.id)
        }));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_server_instances_deliver_each_event_once() {
    for_each_backend(|db| async move {
        if db.backend != Backend::Postgres {
            // SQLite is one file for one server: one worker (its single writer serializes the
            // claims anyway). The claim-once property is tested in the core suite on both.
            return;
        }
        let app = App::start_with(db.backend, tweak).await;
        drop(db);
        let second = start_instance(&app).await;
        let p = people(&app).await;
        let admin = admin_actor(&app).await;
        let receiver = Receiver::start(0).await;
        app.server.core().add_webhook(&admin, &receiver.url(), &["*".to_owned()], true).await.unwrap();
        for _ in 0..6 {
            story(&app, &p).await;
        }
        let deliveries = settled(&app, &admin, 42).await;
        assert_eq!(deliveries.len(), 42, "seven events per story");
        assert!(deliveries.iter().all(|d| d.status.as_str() == "delivered" && d.attempts == 1), "{deliveries:?}");
        let counts = arrivals(&receiver);
        assert_eq!(counts.len(), 42, "every event arrived");
        let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "delivered more than once: {twice:?}");
        second.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_never_answers_does_not_slow_the_api() {
    for_each_backend(|db| async move {
        let app = App::start_with(db.backend, |config| {
            tweak(config);
            config.webhook_worker = Some(WorkerConfig { request_timeout: Duration::from_secs(30), ..fast_worker() });
        })
        .await;
        drop(db);
        let p = people(&app).await;
        let admin = admin_actor(&app).await;
        // Accepts connections and never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        let hold = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                open.push(socket);
            }
        });
        app.server.core().add_webhook(&admin, &format!("http://{addr}/"), &["*".to_owned()], true).await.unwrap();
        let order = app.order(&p.buyer, p.item, 1).await["id"].as_i64().unwrap();
        let deadline = tokio::time::Instant::now() + WAIT;
        while accepted.load(Ordering::SeqCst) == 0 {
            assert!(tokio::time::Instant::now() < deadline, "the worker never called the receiver");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // The worker now waits on the receiver (up to its 30 s timeout); the API answers.
        let api = async {
            app.decide_order(&p.admin, order, true).await;
            for _ in 0..5 {
                app.get("/api/v1/notifications", &p.seller).await.expect(200, "feed");
                app.order(&p.buyer, p.item, 1).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(20), api)
            .await
            .expect("the API answered while a webhook receiver hung (the worker runs on its own task)");
        hold.abort();
    })
    .await;
}
