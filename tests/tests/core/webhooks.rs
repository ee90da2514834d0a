//! Webhook deliveries against a receiver on 127.0.0.1 started by the test.

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
        let hook =
            core.add_webhook(&c.admin, &receiver.url(), &events(&["order.approved,payment.released"])).await.unwrap();
        assert!(matches!(core.add_webhook(&c.buyer, &receiver.url(), &events(&["*"])).await, Err(Error::Forbidden(_))));
        assert!(matches!(core.add_webhook(&c.admin, "ftp://x.rw", &events(&["*"])).await, Err(Error::Invalid { .. })));

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
        core.add_webhook(&c.admin, &receiver.url(), &events(&["payment.released"])).await.unwrap();
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
        core.add_webhook(&c.admin, &format!("http://{closed}/"), &events(&["*"])).await.unwrap();
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
        core.add_webhook(&c.admin, &receiver.url(), &events(&["*"])).await.unwrap();
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
        let hook = core.add_webhook(&c.admin, &receiver.url(), &events(&["payment.released"])).await.unwrap();
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
