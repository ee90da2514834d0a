//! Stopping a server (`RunningServer::shutdown`, what SIGTERM runs) lets the webhook worker
//! finish the delivery it is making and record it, on both backends. (The HTTP side of a stop
//! under load is tested on the real binary: gasstock-server/tests/binary.rs.)

use std::sync::Arc;
use std::time::Duration;

use gasstock_core::commands::PageRequest;
use gasstock_core::webhooks::WorkerConfig;
use gasstock_tests::{Backend, TestDb};
use tokio::sync::{mpsc, Semaphore};
use warp::Filter;

use crate::support::App;

const HANG: Duration = Duration::from_secs(60);

/// A receiver that reports each delivery as it arrives and answers it only once released.
async fn held_receiver() -> (String, mpsc::UnboundedReceiver<()>, Arc<Semaphore>) {
    let (arrived, arrivals) = mpsc::unbounded_channel();
    let release = Arc::new(Semaphore::new(0));
    let gate = release.clone();
    let route = warp::post().then(move || {
        let (arrived, gate) = (arrived.clone(), gate.clone());
        async move {
            let _ = arrived.send(());
            gate.acquire().await.expect("open").forget();
            warp::http::StatusCode::NO_CONTENT
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(warp::serve(route).incoming(listener).run());
    (url, arrivals, release)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_the_webhook_worker_finish_its_current_delivery() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start_with(backend, |config| {
            config.webhook_worker =
                Some(WorkerConfig { poll_interval: Duration::from_millis(20), ..WorkerConfig::default() });
        })
        .await;
        let market = app.market().await;
        let admin = app.server.core().admin_actor("admin@gas.rw").await.unwrap();
        let (url, mut arrivals, release) = held_receiver().await;
        app.server.core().add_webhook(&admin, &url, &["order.created".to_owned()], true).await.unwrap();
        app.order(&market.buyer, market.item, 1).await;
        tokio::time::timeout(HANG, arrivals.recv()).await.expect("the delivery is being made");

        // No idle client connection: the HTTP side stops at once, and the stop waits only for
        // the worker.
        let App { db, server, client } = app;
        drop(client);
        let addr = server.addr();
        let stopping = tokio::spawn(server.shutdown());
        // The stop has begun (the listener is closed) while the receiver still holds the
        // delivery; then the receiver answers.
        let deadline = tokio::time::Instant::now() + HANG;
        while tokio::net::TcpStream::connect(addr).await.is_ok() {
            assert!(tokio::time::Instant::now() < deadline, "the server kept accepting");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Still stopping while the delivery is held (an implementation that dropped the
        // worker's delivery would be done by now; a correct one cannot fail this).
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!stopping.is_finished(), "the stop waits for the delivery in flight");
        release.add_permits(1);
        tokio::time::timeout(HANG, stopping).await.expect("the stop ends").unwrap();

        let core = TestDb::core(&db).await;
        let page = PageRequest::new(None, Some(10)).unwrap();
        let deliveries = core.webhook_deliveries(&admin, None, page).await.unwrap().items;
        assert_eq!(deliveries.len(), 1, "{deliveries:?}");
        let delivery = &deliveries[0];
        assert_eq!((delivery.status.as_str(), delivery.attempts), ("delivered", 1), "{delivery:?}");
        assert!(arrivals.try_recv().is_err(), "delivered once, not again after the stop");
    }
}
