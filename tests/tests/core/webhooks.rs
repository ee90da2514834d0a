//! Webhook deliveries against a receiver on 127.0.0.1 started by the test (so each webhook is
//! added with the private-host opt-in), the target rule at delivery time, and concurrent
//! delivery within the per-receiver bound.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gasstock_core::commands::PageRequest;
use gasstock_core::webhooks::{verify, WebhookWorker, WorkerConfig, SIGNATURE_HEADER};
use gasstock_core::{Error, Gasstock};
use gasstock_tests::fixtures::{approve, cast, invoice, order, stock, Cast};
use gasstock_tests::for_each_backend;
use warp::Filter;

#[derive(Debug, Clone)]
struct Received {
    signature: String,
    event: String,
    body: String,
}

/// Records every POST; answers 500 to the first `fail_first` of them.
#[derive(Clone)]
struct Receiver {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(fail_first: usize) -> Receiver {
        let received = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::new(Mutex::new(0usize));
        let log = received.clone();
        let route = warp::post()
            .and(warp::header::<String>(SIGNATURE_HEADER))
            .and(warp::header::<String>("gasstock-event"))
            .and(warp::body::bytes())
            .map(move |signature: String, event: String, body: bytes::Bytes| {
                let mut count = seen.lock().unwrap();
                *count += 1;
                if *count <= fail_first {
                    return warp::http::StatusCode::INTERNAL_SERVER_ERROR;
                }
                log.lock().unwrap().push(Received {
                    signature,
                    event,
                    body: String::from_utf8_lossy(&body).into_owned(),
                });
                warp::http::StatusCode::NO_CONTENT
            });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(warp::serve(route).incoming(listener).run());
        Receiver { addr, received }
    }

    fn url(&self) -> String {
        format!("http://{}/hooks", self.addr)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

fn fast() -> WorkerConfig {
    WorkerConfig {
        poll_interval: Duration::from_millis(10),
        request_timeout: Duration::from_secs(5),
        retry_base: Duration::from_millis(20),
        retry_cap: Duration::from_millis(100),
        retry_for: Duration::from_secs(60),
        batch: 32,
        per_target: 16,
    }
}

/// Runs worker rounds until nothing is pending (or a bound is hit).
async fn drain(worker: &WebhookWorker, core: &Gasstock, c: &Cast) {
    for _ in 0..200 {
        worker.run_once().await.unwrap();
        let deliveries =
            core.webhook_deliveries(&c.admin, None, PageRequest::new(None, Some(100)).unwrap()).await.unwrap();
        if deliveries.items.iter().all(|d| d.status.as_str() != "pending") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("deliveries still pending");
}

/// Places an order and takes it to payment; returns the order id.
async fn story(core: &Gasstock, c: &Cast) -> i64 {
    let item = stock(core, &c.seller, 10, 1_000).await;
    let placed = order(core, &c.buyer, item.id, 2).await;
    core.decide_order(&c.admin, placed.id, &approve()).await.unwrap();
    let bill = core.submit_invoice(&c.seller, &invoice(placed.id, Some(10))).await.unwrap();
    core.decide_invoice(&c.admin, bill.id, &approve()).await.unwrap();
    core.confirm_delivery(&c.admin, placed.id).await.unwrap();
    placed.id
}

fn events(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribed_events_arrive_signed() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let receiver = Receiver::start(0).await;
        let hook = core
            .add_webhook(&c.admin, &receiver.url(), &events(&["order.approved,payment.released"]), true)
            .await
            .unwrap();
        assert!(matches!(
            core.add_webhook(&c.buyer, &receiver.url(), &events(&["*"]), true).await,
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            core.add_webhook(&c.admin, "ftp://x.rw", &events(&["*"]), true).await,
            Err(Error::Invalid { .. })
        ));

        let order_id = story(&core, &c).await;
        let worker = WebhookWorker::new(core.clone(), fast()).unwrap();
        drain(&worker, &core, &c).await;

        // Deliveries run concurrently, so they may arrive in any order: sort by event id.
        let mut got = receiver.received();
        got.sort_by_key(|r| serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["id"].as_i64());
        let kinds: Vec<&str> = got.iter().map(|r| r.event.as_str()).collect();
        assert_eq!(kinds, ["order.approved", "payment.released"], "only the subscribed events");
        let now = chrono::Utc::now().timestamp();
        for r in &got {
            assert!(verify(&hook.secret, &r.signature, r.body.as_bytes(), now, 300), "signature verifies");
            assert!(!verify("whsec_wrong", &r.signature, r.body.as_bytes(), now, 300));
            let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            assert_eq!(body["type"], r.event.as_str());
            assert_eq!(body["data"]["order_id"], order_id);
            assert!(body["id"].as_i64().unwrap() > 0);
        }
        // Nothing is sent twice, however often the worker runs.
        worker.run_once().await.unwrap();
        assert_eq!(receiver.received().len(), 2);

        core.remove_webhook(&c.admin, hook.id).await.unwrap();
        assert!(matches!(core.remove_webhook(&c.admin, hook.id).await, Err(Error::NotFound { .. })));
        assert!(core.webhooks(&c.admin).await.unwrap().is_empty());
        let left = core.webhook_deliveries(&c.admin, None, PageRequest::default()).await.unwrap();
        assert_eq!(left.total, 0, "its deliveries went with it");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_deliveries_are_retried_until_they_arrive() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let receiver = Receiver::start(2).await;
        core.add_webhook(&c.admin, &receiver.url(), &events(&["payment.released"]), true).await.unwrap();
        story(&core, &c).await;
        let worker = WebhookWorker::new(core.clone(), fast()).unwrap();
        drain(&worker, &core, &c).await;

        assert_eq!(receiver.received().len(), 1, "delivered once, after the failures");
        let deliveries = core.webhook_deliveries(&c.admin, None, PageRequest::default()).await.unwrap();
        assert_eq!(deliveries.total, 1);
        let delivery = &deliveries.items[0];
        assert_eq!((delivery.status.as_str(), delivery.attempts), ("delivered", 3));
        assert!(delivery.last_error.is_none());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_receiver_is_given_up_after_the_retry_window() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        // Nothing listens on this port once the listener is dropped.
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
        core.add_webhook(&c.admin, &format!("http://{closed}/"), &events(&["*"]), true).await.unwrap();
        story(&core, &c).await;
        let config = WorkerConfig { retry_for: Duration::from_millis(200), ..fast() };
        let worker = WebhookWorker::new(core.clone(), config).unwrap();
        drain(&worker, &core, &c).await;
        let deliveries = core.webhook_deliveries(&c.admin, None, PageRequest::default()).await.unwrap();
        assert!(deliveries.total >= 5, "one per event");
        assert!(deliveries
            .items
            .iter()
            .all(|d| d.status.as_str() == "dead" && d.attempts >= 1 && d.last_error.is_some()));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_crashed_worker_loses_nothing_and_two_workers_deliver_each_event_once() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let receiver = Receiver::start(0).await;
        core.add_webhook(&c.admin, &receiver.url(), &events(&["*"]), true).await.unwrap();
        for _ in 0..4 {
            story(&core, &c).await;
        }
        // A worker claims everything and dies before sending: its lease runs out.
        core.store().dispatch_webhook_events(1000).await.unwrap();
        let lease = chrono::Utc::now() + chrono::Duration::milliseconds(300);
        let orphaned = core.store().claim_webhook_deliveries(1000, lease).await.unwrap();
        assert!(orphaned.len() >= 20, "{} deliveries", orphaned.len());
        let worker = WebhookWorker::new(core.clone(), fast()).unwrap();
        assert_eq!(worker.run_once().await.unwrap(), 0, "nobody takes leased deliveries");
        tokio::time::sleep(Duration::from_millis(400)).await;

        // Two instances (separate stores, as two servers would have) share the work.
        let other = Gasstock::new(db.store(4).await);
        let second = WebhookWorker::new(other, WorkerConfig { batch: 3, ..fast() }).unwrap();
        let first = WebhookWorker::new(core.clone(), WorkerConfig { batch: 3, ..fast() }).unwrap();
        for _ in 0..50 {
            let (a, b) = tokio::join!(first.run_once(), second.run_once());
            if a.unwrap() + b.unwrap() == 0 && receiver.received().len() >= orphaned.len() {
                break;
            }
        }
        let mut ids: Vec<i64> = receiver
            .received()
            .iter()
            .map(|r| serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["id"].as_i64().unwrap())
            .collect();
        let total = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), total, "no event delivered twice");
        assert_eq!(total, orphaned.len(), "every event delivered");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_attempt_is_logged() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let receiver = Receiver::start(2).await;
        let hook = core.add_webhook(&c.admin, &receiver.url(), &events(&["payment.released"]), true).await.unwrap();
        story(&core, &c).await;
        let worker = WebhookWorker::new(core.clone(), fast()).unwrap();
        drain(&worker, &core, &c).await;

        let attempts = core.webhook_attempts(&c.admin, Some(hook.id), PageRequest::default()).await.unwrap();
        assert_eq!(attempts.total, 3);
        let log: Vec<(i64, Option<i64>, bool)> =
            attempts.items.iter().map(|a| (a.attempt, a.status_code, a.error.is_some())).collect();
        assert_eq!(log, [(3, Some(204), false), (2, Some(500), true), (1, Some(500), true)], "newest first");
        assert!(attempts.items.iter().all(|a| a.event == "payment.released" && a.webhook_id == hook.id));
        let delivery = &core.webhook_deliveries(&c.admin, None, PageRequest::default()).await.unwrap().items[0];
        assert!(attempts.items.iter().all(|a| a.delivery_id == delivery.id && a.event_id == delivery.event_id));
        assert_eq!(core.webhook_attempts(&c.admin, Some(hook.id + 1), PageRequest::default()).await.unwrap().total, 0);
        assert!(matches!(
            core.webhook_attempts(&c.seller, None, PageRequest::default()).await,
            Err(Error::Forbidden(_))
        ));
    })
    .await;
}

/// The recorded errors of every attempt of `hook`, after the worker ran `rounds` rounds.
async fn attempt_errors(core: &Gasstock, c: &Cast, hook: i64) -> Vec<Option<String>> {
    let attempts = core.webhook_attempts(&c.admin, Some(hook), PageRequest::new(None, Some(100)).unwrap()).await;
    attempts.unwrap().items.into_iter().map(|a| a.error).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_resolving_to_loopback_is_refused_at_delivery_unless_opted_in() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let receiver = Receiver::start(0).await;
        let by_name = format!("http://localhost:{}/hooks", receiver.addr.port());
        // Refused when added without the opt-in (the name is loopback by definition) ...
        let refused = core.add_webhook(&c.admin, &by_name, &events(&["*"]), false).await;
        assert!(
            matches!(&refused, Err(Error::Invalid { field, message }) if field == "url" && message.contains("loopback")),
            "{refused:?}"
        );
        // ... so a webhook stored before the rule stands for one that got past it: the worker
        // resolves the name, finds 127.0.0.1 and sends nothing.
        let legacy = core.store().create_webhook(&by_name, "*", "whsec_legacy", false).await.unwrap();
        let legacy_ip = core.store().create_webhook(&receiver.url(), "*", "whsec_legacy", false).await.unwrap();
        story(&core, &c).await;
        let worker = WebhookWorker::new(core.clone(), fast()).unwrap();
        assert!(worker.run_once().await.unwrap() >= 10, "both webhooks' deliveries attempted");
        assert!(receiver.received().is_empty(), "no request reached the receiver");
        for hook in [legacy.id, legacy_ip.id] {
            let errors = attempt_errors(&core, &c, hook).await;
            assert!(!errors.is_empty());
            for error in errors {
                let error = error.expect("a refused attempt records why");
                assert!(error.starts_with("target address not allowed: a loopback address"), "{error}");
                assert!(error.contains("--allow-private-host"), "{error}");
                for leak in ["127.0.0.1", &receiver.addr.port().to_string(), "connect", "refused"] {
                    assert!(!error.contains(leak), "{error} tells {leak}");
                }
            }
        }
        let deliveries = core.webhook_deliveries(&c.admin, None, PageRequest::default()).await.unwrap();
        assert!(deliveries.items.iter().all(|d| d.status.as_str() == "pending" && d.attempts == 1), "retried later");

        // With the opt-in, the same name is delivered to.
        core.remove_webhook(&c.admin, legacy.id).await.unwrap();
        core.remove_webhook(&c.admin, legacy_ip.id).await.unwrap();
        let hook = core.add_webhook(&c.admin, &by_name, &events(&["order.approved"]), true).await.unwrap();
        assert!(hook.allow_private_host);
        story(&core, &c).await;
        drain(&worker, &core, &c).await;
        let got = receiver.received();
        assert_eq!(got.len(), 1, "the approval of the second story");
        assert!(verify(&hook.secret, &got[0].signature, got[0].body.as_bytes(), chrono::Utc::now().timestamp(), 300));
        assert_eq!(attempt_errors(&core, &c, hook.id).await, [None]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urls_stored_with_credentials_are_masked_and_refused() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let refused = core.add_webhook(&c.admin, "https://user:pw@hooks.example.rw/in", &events(&["*"]), true).await;
        assert!(
            matches!(&refused, Err(Error::Invalid { message, .. }) if message.contains("credentials")),
            "{refused:?}"
        );
        // Stored before the rule: listed masked, refused at delivery without a request.
        let hook = core
            .store()
            .create_webhook("https://user:s3cret@hooks.example.rw/in", "*", "whsec_x", false)
            .await
            .unwrap();
        let listed = core.webhooks(&c.admin).await.unwrap();
        assert_eq!(listed[0].url, "https://***@hooks.example.rw/in");
        let order_id = story(&core, &c).await;
        assert!(order_id > 0);
        WebhookWorker::new(core.clone(), fast()).unwrap().run_once().await.unwrap();
        let errors = attempt_errors(&core, &c, hook.id).await;
        assert!(!errors.is_empty());
        for error in errors {
            let error = error.unwrap();
            assert!(error.contains("credentials") && !error.contains("s3cret"), "{error}");
        }
        // The opt-in does not make credentials acceptable: such a webhook must be added anew.
        let opt_in = core.set_webhook_private_host(&c.admin, hook.id, true).await;
        assert!(
            matches!(&opt_in, Err(Error::Invalid { message, .. }) if message.contains("credentials")),
            "{opt_in:?}"
        );
    })
    .await;
}

/// Answers 204 after `delay`, counting the requests in flight per receiver and the most at
/// once; records every event id it acknowledged.
#[derive(Clone)]
struct SlowReceiver {
    addr: SocketAddr,
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
    most: Arc<std::sync::atomic::AtomicUsize>,
    ids: Arc<Mutex<Vec<i64>>>,
}

impl SlowReceiver {
    async fn start(delay: Duration) -> SlowReceiver {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (in_flight, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let ids = Arc::new(Mutex::new(Vec::new()));
        let (now, top, log) = (in_flight.clone(), most.clone(), ids.clone());
        let route = warp::post().and(warp::body::bytes()).then(move |body: bytes::Bytes| {
            let (now, top, log) = (now.clone(), top.clone(), log.clone());
            async move {
                let current = now.fetch_add(1, Ordering::SeqCst) + 1;
                top.fetch_max(current, Ordering::SeqCst);
                tokio::time::sleep(delay).await;
                let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
                log.lock().unwrap().push(body["id"].as_i64().unwrap());
                now.fetch_sub(1, Ordering::SeqCst);
                warp::http::StatusCode::NO_CONTENT
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(warp::serve(route).incoming(listener).run());
        SlowReceiver { addr, in_flight, most, ids }
    }

    fn most(&self) -> usize {
        self.most.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_delivery_keeps_the_per_target_bound_and_delivers_each_event_once() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let (a, b) = (
            SlowReceiver::start(Duration::from_millis(30)).await,
            SlowReceiver::start(Duration::from_millis(30)).await,
        );
        // Two webhooks on receiver a (one target: they share its bound), one on b.
        for receiver in [&a, &a, &b] {
            let url = format!("http://{}/hooks", receiver.addr);
            core.add_webhook(&c.admin, &url, &events(&["*"]), true).await.unwrap();
        }
        const STORIES: i64 = 4;
        for _ in 0..STORIES {
            story(&core, &c).await;
        }
        let config = WorkerConfig { per_target: 3, batch: 24, ..fast() };
        let worker = WebhookWorker::new(core.clone(), config).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = tokio::spawn(worker.run(async move {
            let _ = stopped.await;
        }));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let expected_events = STORIES * 7;
        loop {
            let page = PageRequest::new(None, Some(100)).unwrap();
            let deliveries = core.webhook_deliveries(&c.admin, None, page).await.unwrap();
            let done = deliveries.items.iter().filter(|d| d.status.as_str() == "delivered").count();
            if deliveries.total == 3 * expected_events && done == deliveries.items.len() {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "not delivered in time: {done} of {}", deliveries.total);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = stop.send(());
        running.await.unwrap();

        assert_eq!(a.most(), 3, "receiver a had three requests in flight at most, and did have three");
        assert_eq!(b.most(), 3, "receiver b too");
        assert_eq!(a.in_flight.load(std::sync::atomic::Ordering::SeqCst), 0);
        let count = |ids: &Arc<Mutex<Vec<i64>>>| {
            let mut counts = std::collections::BTreeMap::new();
            for id in ids.lock().unwrap().iter() {
                *counts.entry(*id).or_insert(0usize) += 1;
            }
            counts
        };
        let (at_a, at_b) = (count(&a.ids), count(&b.ids));
        assert_eq!(at_a.len() as i64, expected_events, "every event reached a");
        assert!(at_a.values().all(|n| *n == 2), "once per webhook on a, no more: {at_a:?}");
        assert_eq!(at_b.len() as i64, expected_events, "every event reached b");
        assert!(at_b.values().all(|n| *n == 1), "once on b: {at_b:?}");
        let page = PageRequest::new(None, Some(100)).unwrap();
        let attempts = core.webhook_attempts(&c.admin, None, page).await.unwrap();
        assert_eq!(attempts.total, 3 * expected_events, "one attempt per delivery");
    })
    .await;
}

/// Migration 20261201000020 on a database of the schema before it: the webhook carries
/// forward without the opt-in, and its loopback target is refused from then on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_stored_before_the_opt_in_carry_forward_and_are_refused() {
    use sqlx::migrate::Migrator;
    fn before_opt_in(mut migrator: Migrator) -> Migrator {
        let old: Vec<_> = migrator.migrations.iter().filter(|m| m.version < 20261201000020).cloned().collect();
        migrator.migrations = old.into();
        migrator
    }
    for_each_backend(|db| async move {
        let receiver = Receiver::start(0).await;
        let insert = "INSERT INTO webhooks (url, events, secret, created_at) VALUES ($1, '*', 'whsec_old', $2)";
        match db.backend {
            gasstock_tests::Backend::Sqlite => {
                let options: sqlx::sqlite::SqliteConnectOptions = db.url.parse().unwrap();
                let pool = sqlx::SqlitePool::connect_with(options.create_if_missing(true)).await.unwrap();
                before_opt_in(sqlx::migrate!("../migrations/sqlite")).run(&pool).await.unwrap();
                sqlx::query(insert).bind(receiver.url()).bind(chrono::Utc::now()).execute(&pool).await.unwrap();
                pool.close().await;
            }
            gasstock_tests::Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
                before_opt_in(sqlx::migrate!("../migrations/postgres")).run(&pool).await.unwrap();
                sqlx::query(insert).bind(receiver.url()).bind(chrono::Utc::now()).execute(&pool).await.unwrap();
                pool.close().await;
            }
        }
        let core = db.core().await;
        let c = cast(&core).await;
        let hooks = core.webhooks(&c.admin).await.unwrap();
        assert_eq!(hooks.len(), 1);
        assert_eq!((hooks[0].url.as_str(), hooks[0].allow_private_host), (receiver.url().as_str(), false));
        story(&core, &c).await;
        let worker = WebhookWorker::new(core.clone(), fast()).unwrap();
        assert!(worker.run_once().await.unwrap() > 0);
        assert!(receiver.received().is_empty(), "refused without a request");
        let deliveries = core.webhook_deliveries(&c.admin, None, PageRequest::default()).await.unwrap();
        assert!(deliveries
            .items
            .iter()
            .all(|d| d.last_error.as_deref().is_some_and(|e| e.starts_with("target address not allowed"))));

        // The admin opts the old webhook in: its refused deliveries go out at their next retry.
        assert!(matches!(core.set_webhook_private_host(&c.buyer, hooks[0].id, true).await, Err(Error::Forbidden(_))));
        assert!(matches!(
            core.set_webhook_private_host(&c.admin, hooks[0].id + 1, true).await,
            Err(Error::NotFound { .. })
        ));
        let opted = core.set_webhook_private_host(&c.admin, hooks[0].id, true).await.unwrap();
        assert!(opted.allow_private_host);
        drain(&worker, &core, &c).await;
        let delivered = core.webhook_deliveries(&c.admin, None, PageRequest::default()).await.unwrap();
        assert_eq!(delivered.total, 7, "the story's seven events");
        assert!(delivered.items.iter().all(|d| d.status.as_str() == "delivered" && d.attempts == 2), "{delivered:?}");
        let mut ids: Vec<i64> = receiver
            .received()
            .iter()
            .map(|r| serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["id"].as_i64().unwrap())
            .collect();
        ids.sort_unstable();
        let mut expected: Vec<i64> = delivered.items.iter().map(|d| d.event_id).collect();
        expected.sort_unstable();
        assert_eq!(ids, expected, "each refused delivery arrived once, none lost");
    })
    .await;
}

/// Shutting down lets the requests in flight finish and record, and starts no more: the
/// deliveries still waiting for the receiver's slot stay pending for later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_requests_in_flight_and_starts_no_more() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let slow = SlowReceiver::start(Duration::from_millis(800)).await;
        core.add_webhook(&c.admin, &format!("http://{}/hooks", slow.addr), &events(&["*"]), true).await.unwrap();
        story(&core, &c).await;
        let worker = WebhookWorker::new(core.clone(), WorkerConfig { per_target: 1, ..fast() }).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = tokio::spawn(worker.run(async move {
            let _ = stopped.await;
        }));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while slow.in_flight.load(std::sync::atomic::Ordering::SeqCst) == 0 {
            assert!(tokio::time::Instant::now() < deadline, "no request started");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let asked = std::time::Instant::now();
        let _ = stop.send(());
        running.await.unwrap();
        assert!(asked.elapsed() < Duration::from_secs(3), "waited {:?}: only the running request", asked.elapsed());
        assert_eq!(slow.ids.lock().unwrap().len(), 1, "the request in flight finished");
        let deliveries = core.webhook_deliveries(&c.admin, None, PageRequest::default()).await.unwrap();
        let statuses: Vec<(&str, i64)> = deliveries.items.iter().map(|d| (d.status.as_str(), d.attempts)).collect();
        assert_eq!(statuses.iter().filter(|s| **s == ("delivered", 1)).count(), 1, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == ("pending", 0)).count(), 6, "{statuses:?}");
        // ... and their claims were given back: the next worker takes them at once.
        let lease = chrono::Utc::now() + chrono::Duration::seconds(30);
        assert_eq!(core.store().claim_webhook_deliveries(100, lease).await.unwrap().len(), 6);
    })
    .await;
}
