//! Sign-in and sign-up throttling over HTTP (issue 14, findings 7 and 8): nobody can lock
//! anybody else out, repeated failures wait longer and longer, `X-Forwarded-For` counts only
//! from a trusted proxy, the counters are shared by every instance on the database, and a
//! sign-up that finds the email taken neither repeats the address nor goes unthrottled.

use std::time::Duration;

use gasstock_core::domain::{Backoff, Verdict};
use gasstock_server::Config;
use gasstock_tests::Backend;
use serde_json::json;
use sqlx::Connection;

use crate::support::{config, App, Reply, PASSWORD};

const OWNER: &str = "owner@gas.rw";

/// Tests play several clients through a proxy on loopback that they trust.
fn behind_loopback_proxy(config: &mut Config) {
    config.throttling.trusted_proxies = "127.0.0.0/8".parse().unwrap();
}

/// A first delay long enough that a slow machine (argon2 in a debug build, under load) never
/// sees it end between two requests of a test that expects a 429.
fn long_delays(config: &mut Config) {
    config.throttling.login_delay_base = Duration::from_secs(60);
}

async fn login_from(app: &App, forwarded_for: Option<&str>, email: &str, password: &str) -> Reply {
    let mut request = app.client.post(app.url("/api/v1/login")).json(&json!({"email": email, "password": password}));
    if let Some(forwarded_for) = forwarded_for {
        request = request.header("X-Forwarded-For", forwarded_for);
    }
    app.send(request).await
}

/// The seconds of a 429's `Retry-After`, checked against its JSON body.
#[track_caller]
fn retry_after(reply: &Reply, context: &str) -> u64 {
    reply.expect_error(429, "too_many_attempts", context);
    let header: u64 = reply.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert_eq!(reply.body["error"]["details"]["retry_after_secs"], header, "{context}: body and header agree");
    header
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strangers_failures_do_not_lock_the_owner_out() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start_with(backend, |config| {
            behind_loopback_proxy(config);
            long_delays(config);
            config.login_attempts_per_email = 3;
        })
        .await;
        app.register(OWNER, "buyer").await;
        let stranger = Some("203.0.113.66");
        for attempt in 1..=3 {
            login_from(&app, stranger, OWNER, "guess").await.expect(401, &format!("stranger's guess {attempt}"));
        }
        for _ in 0..5 {
            let reply = login_from(&app, stranger, OWNER, "guess").await;
            assert!(retry_after(&reply, "the stranger waits") >= 1);
        }
        // Even the right password waits from the stranger's client (no way around the delay)...
        retry_after(&login_from(&app, stranger, OWNER, PASSWORD).await, "right password, stranger's client");
        // ...but the owner, from elsewhere, signs in at once: there is no lock on the account.
        login_from(&app, Some("198.51.100.7"), OWNER, PASSWORD).await.expect(200, "the owner from another client");
        login_from(&app, Some("198.51.100.7"), OWNER, "typo").await.expect(401, "the owner's own typo");
        login_from(&app, Some("198.51.100.7"), OWNER, PASSWORD).await.expect(200, "and again");

        // The same without a proxy: the stranger on 127.0.0.1, the owner on 127.0.0.2.
        let app = App::start_with(backend, long_delays).await;
        app.register(OWNER, "buyer").await;
        for _ in 0..5 {
            login_from(&app, None, OWNER, "guess").await.expect(401, "stranger's guess");
        }
        retry_after(&login_from(&app, None, OWNER, PASSWORD).await, "the stranger waits");
        let owner = reqwest::Client::builder().local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap());
        let owner = owner.build().unwrap();
        let request = owner.post(app.url("/api/v1/login")).json(&json!({"email": OWNER, "password": PASSWORD}));
        app.send(request).await.expect(200, "the owner from another address");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_wait_longer_and_longer() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start_with(backend, |config| {
            config.login_attempts_per_email = 2;
            config.throttling.login_delay_base = Duration::from_secs(1);
            config.throttling.login_delay_cap = Duration::from_secs(4);
        })
        .await;
        app.register(OWNER, "seller").await;
        login_from(&app, None, OWNER, "guess 1").await.expect(401, "1st");
        login_from(&app, None, OWNER, "guess 2").await.expect(401, "2nd");
        let mut waits = Vec::new();
        for _ in 0..3 {
            let wait = retry_after(&login_from(&app, None, OWNER, "too soon").await, "throttled");
            waits.push(wait);
            tokio::time::sleep(Duration::from_secs(wait) + Duration::from_millis(100)).await;
            login_from(&app, None, OWNER, "after waiting").await.expect(401, "allowed after the wait, and wrong");
        }
        // The delay doubles with each failure: 1, 2, 4 s, less the time the last (wrong)
        // attempt itself took, rounded up (so a second less on a very slow machine).
        assert!(waits.windows(2).all(|pair| pair[0] < pair[1]), "growing: {waits:?}");
        for (wait, full) in waits.iter().zip([1, 2, 4]) {
            assert!(*wait <= full && wait + 1 >= full, "{waits:?} against 1, 2, 4");
        }
        let capped = retry_after(&login_from(&app, None, OWNER, "too soon").await, "capped");
        assert!((3..=4).contains(&capped), "at most --login-delay-cap (4 s), not 8: {capped}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_guesses_cannot_slip_past_the_free_attempts() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start_with(backend, |config| {
            long_delays(config);
            config.login_attempts_per_email = 3;
        })
        .await;
        app.register(OWNER, "buyer").await;
        let guesses = (0..12).map(|i| {
            let app = &app;
            async move { login_from(app, None, OWNER, &format!("guess {i}")).await.status.as_u16() }
        });
        let mut statuses = futures::future::join_all(guesses).await;
        statuses.sort_unstable();
        assert_eq!(statuses, [[401; 3].as_slice(), &[429; 9]].concat(), "three guesses checked, no more");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_forwarded_for_counts_only_from_a_trusted_proxy() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        // Nobody trusted (the default): the header is the client's word, and ignored.
        let app = App::start_with(backend, |config| {
            long_delays(config);
            config.login_attempts_per_email = 2;
        })
        .await;
        app.register(OWNER, "buyer").await;
        login_from(&app, Some("203.0.113.1"), OWNER, "guess").await.expect(401, "1st");
        login_from(&app, Some("203.0.113.2"), OWNER, "guess").await.expect(401, "2nd");
        retry_after(&login_from(&app, Some("203.0.113.3"), OWNER, "guess").await, "a new header is the same client");
        retry_after(&login_from(&app, None, OWNER, PASSWORD).await, "so is no header");

        // Behind a trusted proxy: the right-most address the proxies did not add is the client.
        let app = App::start_with(backend, |config| {
            behind_loopback_proxy(config);
            long_delays(config);
            config.login_attempts_per_email = 2;
        })
        .await;
        app.register(OWNER, "buyer").await;
        login_from(&app, Some("203.0.113.1"), OWNER, "guess").await.expect(401, "1st");
        login_from(&app, Some("203.0.113.1"), OWNER, "guess").await.expect(401, "2nd");
        retry_after(&login_from(&app, Some("203.0.113.1"), OWNER, "guess").await, "the same client");
        // A forged entry on the left changes nothing: the proxy appended the real address.
        retry_after(&login_from(&app, Some("198.51.100.9, 203.0.113.1"), OWNER, "guess").await, "forged left");
        // Through a second trusted hop, still the same client.
        retry_after(&login_from(&app, Some("203.0.113.1, 127.0.0.2"), OWNER, "guess").await, "two proxies");
        login_from(&app, Some("203.0.113.2"), OWNER, PASSWORD).await.expect(200, "another client");
        // The proxy's own requests (no header) are a client of their own.
        login_from(&app, None, OWNER, PASSWORD).await.expect(200, "the proxy itself");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_the_counters() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let tweak = |config: &mut Config| {
            long_delays(config);
            config.login_attempts_per_email = 2;
        };
        let app = App::start_with(backend, tweak).await;
        let mut other_config = config(&app.db);
        tweak(&mut other_config);
        let other = gasstock_server::start(other_config).await.expect("second instance on the same database");
        let other_login = |password: &'static str| {
            let request = app.client.post(format!("{}/api/v1/login", other.url()));
            app.send(request.json(&json!({"email": OWNER, "password": password})))
        };
        app.register(OWNER, "buyer").await;
        login_from(&app, None, OWNER, "guess").await.expect(401, "1st, on the first instance");
        other_login("guess").await.expect(401, "2nd, on the second instance");
        retry_after(&login_from(&app, None, OWNER, "guess").await, "3rd, first instance");
        retry_after(&other_login("guess").await, "3rd, second instance");
        other.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_is_throttled_and_does_not_repeat_a_taken_address() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start_with(backend, |config| {
            behind_loopback_proxy(config);
            long_delays(config);
            config.throttling.register_attempts_per_client = 3;
        })
        .await;
        let register = |email: &str, client: &str| {
            let body = json!({"email": email, "password": PASSWORD, "name": "N", "role": "buyer"});
            let request = app.client.post(app.url("/api/v1/register")).header("X-Forwarded-For", client);
            app.send(request.json(&body))
        };
        let prober = "203.0.113.5";
        register("taken@gas.rw", prober).await.expect(201, "1st sign-up");
        let duplicate = register("Taken@Gas.rw", prober).await;
        // The contract's 409 duplicate_email stays; the address is not repeated to whoever asked.
        duplicate.expect_error(409, "duplicate_email", "2nd");
        assert!(!duplicate.text.to_lowercase().contains("taken@gas.rw"), "address echoed: {}", duplicate.text);
        register("probe@gas.rw", prober).await.expect(201, "3rd");
        let wait = retry_after(&register("another-probe@gas.rw", prober).await, "4th from the same client");
        assert!(wait >= 1);
        assert!(register("taken@gas.rw", prober).await.status == 429, "probing a taken address waits too");
        register("someone@gas.rw", "198.51.100.20").await.expect(201, "another client signs up");
    }
}

/// Counters past their time are deleted (as new keys arrive), on both backends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_counters_are_deleted() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start(backend).await;
        let store = app.server.core().store();
        let rule = Backoff {
            free: 1,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(1),
            forget_after: Duration::ZERO,
        };
        assert!(matches!(store.throttle_attempt("old", &rule, || 1_000).await.unwrap(), Verdict::Go(_)));
        assert_eq!(
            store.throttle_attempt("old", &rule, || 1_500).await.unwrap(),
            Verdict::Wait(Duration::from_millis(500))
        );
        assert_eq!(rows(&app).await, 1);
        assert!(matches!(store.throttle_attempt("new", &rule, || 10_000).await.unwrap(), Verdict::Go(_)));
        assert_eq!(rows(&app).await, 1, "the expired counter is gone, the new one kept");
    }
}

async fn rows(app: &App) -> i64 {
    let sql = "SELECT COUNT(*) FROM throttle_counters";
    match app.db.backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
            sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
            sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
        }
    }
}
