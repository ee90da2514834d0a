//! The real `gasstock-server` binary, for operations: JSON logs (the request id on every line
//! of a request, client disconnects not at ERROR), `--healthcheck`, and a graceful stop under
//! load (SIGTERM: no request answered 5xx or reset, streams end, exit code 0), on SQLite and
//! PostgreSQL; and a payout cut off by a killed server, reconciled after the restart, never
//! sent twice. (binary.rs: zero-config start, the production secret rule.)

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRET: &str = "a test secret of at least thirty-two bytes";
const PASSWORD: &str = "correct horse battery";
/// Only a bound on a hang: every wait below is for a condition.
const HANG: Duration = Duration::from_secs(60);

/// A database URL on each available backend (a fresh SQLite file, or a fresh schema of
/// `GASSTOCK_TEST_PG_URL`; `GASSTOCK_REQUIRE_PG=1` makes a missing PostgreSQL a failure).
async fn databases(dir: &std::path::Path) -> Vec<String> {
    let mut urls = vec![format!("sqlite://{}", dir.join("gasstock.db").display())];
    match std::env::var("GASSTOCK_TEST_PG_URL").ok().filter(|url| !url.is_empty()) {
        Some(base) => {
            use sqlx::Connection;
            let schema = format!("bin_{}_{}", std::process::id(), uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&base).await.expect("connect to GASSTOCK_TEST_PG_URL");
            sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut conn).await.expect("create schema");
            let separator = if base.contains('?') { '&' } else { '?' };
            urls.push(format!("{base}{separator}options=-c%20search_path%3D{schema}"));
        }
        None => {
            assert!(std::env::var("GASSTOCK_REQUIRE_PG").as_deref() != Ok("1"), "GASSTOCK_REQUIRE_PG=1 without a URL")
        }
    }
    urls
}

/// A running binary: its URL, its stderr lines so far, and a channel of new ones.
struct Server {
    child: Child,
    url: String,
    logs: Arc<Mutex<Vec<String>>>,
    lines: mpsc::Receiver<String>,
}

impl Server {
    fn start(database_url: &str, extra: &[(&str, &str)]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_gasstock-server"));
        command
            .env("GASSTOCK_DATABASE_URL", database_url)
            .env("GASSTOCK_BIND", "127.0.0.1:0")
            .env("GASSTOCK_JWT_SECRET", SECRET)
            .env("GASSTOCK_LOG_FORMAT", "json")
            .envs(extra.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("the server binary starts");
        let (logs, (sender, lines)) = (Arc::new(Mutex::new(Vec::new())), mpsc::channel());
        let (stderr, kept) = (child.stderr.take().unwrap(), logs.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                kept.lock().unwrap().push(line.clone());
                let _ = sender.send(line);
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).expect("stdout");
        let url = first.trim().strip_prefix("gasstock-server listening on ").unwrap_or_else(|| {
            panic!("no listening line: {first:?}; logs: {:?}", logs.lock().unwrap());
        });
        let url = url.to_owned();
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Server { child, url, logs, lines }
    }

    /// Waits for a log line containing `text`.
    fn wait_for_line(&self, text: &str) {
        if self.logs.lock().unwrap().iter().any(|line| line.contains(text)) {
            return;
        }
        loop {
            match self.lines.recv_timeout(HANG) {
                Ok(line) if line.contains(text) => return,
                Ok(_) => {}
                Err(_) => panic!("no log line with {text:?}: {:?}", self.logs.lock().unwrap()),
            }
        }
    }

    fn terminate(&self) {
        // The shell's own `kill` (no procps needed, and no unsafe libc call in a test).
        let status = Command::new("sh").args(["-c", &format!("kill -TERM {}", self.child.id())]).status().unwrap();
        assert!(status.success());
    }

    /// The exit code, once the process ended (panics if it hangs).
    fn exit_code(&mut self) -> Option<i32> {
        let deadline = std::time::Instant::now() + HANG;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(std::time::Instant::now() < deadline, "the server did not exit: {:?}", self.logs.lock().unwrap());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> Value {
    let mut request = client.request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("sent");
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.unwrap_or(Value::Null)
}

/// Registers and signs in; returns the token.
async fn user(client: &reqwest::Client, url: &str, email: &str, role: &str) -> String {
    let registration = json!({"email": email, "password": PASSWORD, "name": email, "role": role,
                              "phone": "+250788000000", "location": "Kigali"});
    call(client, reqwest::Method::POST, format!("{url}/api/v1/register"), None, Some(registration)).await;
    let login = json!({"email": email, "password": PASSWORD});
    let session = call(client, reqwest::Method::POST, format!("{url}/api/v1/login"), None, Some(login)).await;
    session["token"].as_str().unwrap().to_owned()
}

fn parsed(logs: &[String]) -> Vec<Value> {
    logs.iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("not a JSON line ({err}): {line}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_the_request_id_and_disconnects_are_not_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(&databases(dir.path()).await[0], &[("GASSTOCK_LOG", "info,gasstock_server=debug")]);
    let client = reqwest::Client::new();
    let answer = client.get(format!("{}/api/v1/orders", server.url)).header("X-Request-Id", "json-test-1").send();
    assert_eq!(answer.await.unwrap().status(), 401);
    // Clients that go away: before a head, in the middle of a head, in the middle of a body.
    let addr = server.url.trim_start_matches("http://").to_owned();
    for bytes in
        [&b""[..], b"GET /api/v1/ord", b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"em"]
    {
        let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        stream.write_all(bytes).await.unwrap();
        drop(stream);
    }
    server.wait_for_line("connection ended with an error");
    server.terminate();
    assert_eq!(server.exit_code(), Some(0));

    let lines = parsed(&server.logs());
    let of_request: Vec<&Value> = lines.iter().filter(|line| line["span"]["request_id"] == "json-test-1").collect();
    let messages: Vec<&str> = of_request.iter().filter_map(|line| line["fields"]["message"].as_str()).collect();
    assert!(messages.contains(&"request received") && messages.contains(&"request"), "{of_request:?}");
    let request_line = of_request.iter().find(|line| line["fields"]["message"] == "request").unwrap();
    assert_eq!((request_line["fields"]["status"].as_u64(), request_line["level"].as_str()), (Some(401), Some("INFO")));
    // Every line logged while serving a request names its request.
    for line in lines.iter().filter(|line| line["fields"]["message"] == "request received") {
        assert!(line["span"]["request_id"].as_str().is_some_and(|id| !id.is_empty()), "{line}");
    }
    let disconnect = lines.iter().find(|line| line["fields"]["message"] == "connection ended with an error").unwrap();
    assert_eq!(disconnect["level"], "DEBUG", "{disconnect}");
    let loud: Vec<&Value> =
        lines.iter().filter(|line| matches!(line["level"].as_str(), Some("ERROR" | "WARN"))).collect();
    assert!(loud.is_empty(), "expected network events are not warnings or errors: {loud:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_healthcheck_mode_asks_readyz() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&databases(dir.path()).await[0], &[]);
    let check = |bind: &str| {
        Command::new(env!("CARGO_BIN_EXE_gasstock-server"))
            .arg("--healthcheck")
            .env("GASSTOCK_BIND", bind)
            .output()
            .expect("runs")
    };
    let ready = check(server.url.trim_start_matches("http://"));
    assert!(ready.status.success(), "{}", String::from_utf8_lossy(&ready.stderr));
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let none = check(&free.to_string());
    assert_eq!(none.status.code(), Some(1), "nothing listening: {}", String::from_utf8_lossy(&none.stderr));
    assert!(String::from_utf8_lossy(&none.stderr).contains("not ready"));
}

/// What a load client saw.
#[derive(Debug, Default)]
struct Seen {
    answered: usize,
    server_errors: Vec<String>,
    failures: Vec<String>,
    told_to_close: bool,
}

/// Sends requests (reads and orders) over one keep-alive connection until an answer says
/// `Connection: close` (the server is draining) or `requests` is reached.
async fn load(url: String, token: String, item: i64, started: Arc<tokio::sync::Barrier>) -> Seen {
    let client = reqwest::Client::builder().pool_max_idle_per_host(1).timeout(HANG).build().unwrap();
    let mut seen = Seen::default();
    for n in 0.. {
        let request = if n % 2 == 0 {
            client.get(format!("{url}/api/v1/orders?page=1"))
        } else {
            client.post(format!("{url}/api/v1/orders")).json(&json!({"inventory_id": item, "quantity": 1}))
        };
        match request.bearer_auth(&token).send().await {
            Ok(response) => {
                let close = response.headers().get("connection").is_some_and(|value| value == "close");
                let status = response.status();
                match response.bytes().await {
                    Ok(_) if status.is_server_error() => seen.server_errors.push(format!("{status}")),
                    Ok(_) => seen.answered += 1,
                    Err(err) => seen.failures.push(format!("body: {err:?}")),
                }
                if close {
                    seen.told_to_close = true;
                    return seen;
                }
            }
            Err(err) => {
                seen.failures.push(format!("{err:?}"));
                return seen;
            }
        }
        if n == 3 {
            started.wait().await;
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_answers_every_request_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    for database in databases(dir.path()).await {
        eprintln!("-- {}", database.split('?').next().unwrap());
        let mut server = Server::start(&database, &[("GASSTOCK_STREAM_POLL_INTERVAL", "20ms")]);
        let url = server.url.clone();
        let client = reqwest::Client::new();
        let seller = user(&client, &url, "seller@gas.rw", "seller").await;
        let buyer = user(&client, &url, "buyer@gas.rw", "buyer").await;
        let stock =
            json!({"brand": "Jibu", "weight": 12, "location": "Kigali", "quantity": 100000, "unit_price": 1000});
        let item =
            call(&client, reqwest::Method::POST, format!("{url}/api/v1/seller/inventory"), Some(&seller), Some(stock))
                .await;
        let item = item["id"].as_i64().unwrap();

        // An open notification stream, and a request whose body is half sent.
        let stream = client.get(format!("{url}/api/v1/notifications/stream")).bearer_auth(&buyer).send().await.unwrap();
        assert_eq!(stream.status(), 200);
        let mut slow = tokio::net::TcpStream::connect(url.trim_start_matches("http://")).await.unwrap();
        let body = json!({"inventory_id": item, "quantity": 2}).to_string();
        let head = format!(
            "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {buyer}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        slow.write_all(head.as_bytes()).await.unwrap();
        slow.write_all(&body.as_bytes()[..5]).await.unwrap();

        let clients = 6;
        let started = Arc::new(tokio::sync::Barrier::new(clients + 1));
        let loads: Vec<_> =
            (0..clients).map(|_| tokio::spawn(load(url.clone(), buyer.clone(), item, started.clone()))).collect();
        // Each client has a keep-alive connection with requests answered (a client that failed
        // early never gets here: the bound names it instead of hanging).
        let all_going = tokio::time::timeout(HANG, started.wait()).await;
        assert!(all_going.is_ok(), "a load client stopped before SIGTERM");
        server.terminate();
        server.wait_for_line("shutting down");
        // The in-flight request finishes after the signal.
        slow.write_all(&body.as_bytes()[5..]).await.unwrap();
        let mut answer = Vec::new();
        tokio::time::timeout(HANG, slow.read_to_end(&mut answer)).await.expect("answered").unwrap();
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 201"), "the half-sent order is served: {answer}");

        let mut stream = stream;
        loop {
            let chunk = tokio::time::timeout(HANG, stream.chunk()).await.expect("the stream ends");
            match chunk {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(err) => panic!("the stream ends cleanly, not reset: {err:?}"),
            }
        }

        let mut answered = 0;
        for seen in futures::future::join_all(loads).await {
            let seen = seen.unwrap();
            assert!(seen.server_errors.is_empty() && seen.failures.is_empty(), "{seen:?}");
            assert!(seen.told_to_close, "each client was told to close, not cut off: {seen:?}");
            answered += seen.answered;
        }
        assert!(answered >= clients * 4, "{answered}");
        assert_eq!(server.exit_code(), Some(0), "{:?}", server.logs());
        let lines = parsed(&server.logs());
        let errors: Vec<&Value> = lines.iter().filter(|line| line["level"] == "ERROR").collect();
        assert!(errors.is_empty(), "{errors:?}");
        assert!(lines.iter().any(|line| line["fields"]["message"] == "stopped"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_never_finishes_does_not_hold_shutdown_past_its_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let database = databases(dir.path()).await.remove(0);
    let mut server = Server::start(
        &database,
        &[
            ("GASSTOCK_SHUTDOWN_TIMEOUT", "1s"),
            ("GASSTOCK_BODY_READ_TIMEOUT", "1h"),
            ("GASSTOCK_LOG", "info,gasstock_server=debug"),
        ],
    );
    let mut stuck = tokio::net::TcpStream::connect(server.url.trim_start_matches("http://")).await.unwrap();
    stuck.write_all(b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{").await.unwrap();
    server.wait_for_line("request received");
    server.terminate();
    assert_eq!(server.exit_code(), Some(0));
    let lines = parsed(&server.logs());
    let cut =
        lines.iter().find(|line| line["fields"]["message"].as_str().is_some_and(|m| m.starts_with("shutdown timeout")));
    let cut = cut.unwrap_or_else(|| panic!("{lines:?}"));
    assert_eq!((cut["level"].as_str(), cut["fields"]["open"].as_u64()), (Some("WARN"), Some(1)));
}

/// Polls `GET /orders/{order}/payment` until `done` holds (bounded by [`HANG`]).
async fn payment_until(client: &reqwest::Client, url: &str, token: &str, order: i64, done: impl Fn(&Value) -> bool) {
    let deadline = std::time::Instant::now() + HANG;
    loop {
        let payment =
            call(client, reqwest::Method::GET, format!("{url}/api/v1/orders/{order}/payment"), Some(token), None).await;
        if done(&payment) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "order {order}: never reached the expected state: {payment}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Issue 12: the server is killed (SIGKILL, no shutdown) after a payout's transfer reached
/// the provider and before its answer was recorded. Restarted, the server reads the
/// transfer's status under the reference it recorded before sending, and records it paid:
/// the provider (the project's sandbox, over HTTP) took exactly one transfer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payout_cut_off_by_a_killed_server_is_reconciled_after_restart_never_resent() {
    use gasstock_momo_sandbox::{Behaviour, Sandbox, SandboxConfig};
    const SELLER_PARTY: &str = "250788654321";
    let dir = tempfile::tempdir().unwrap();
    for database in databases(dir.path()).await {
        eprintln!("-- {}", database.split('?').next().unwrap());
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let mut settings = sandbox.env();
        settings.push(("GASSTOCK_PAYMENT_POLL_INTERVAL".into(), "100ms".into()));
        let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut server = Server::start(&database, &settings);
        let (url, client) = (server.url.clone(), reqwest::Client::new());

        let store = gasstock_core::Store::open(&database).await.unwrap();
        let admin_user =
            gasstock_core::Gasstock::new(store.clone()).create_admin("admin@gas.rw", None, PASSWORD).await.unwrap();
        store.close().await;
        let login = json!({"email": "admin@gas.rw", "password": PASSWORD});
        let admin = call(&client, reqwest::Method::POST, format!("{url}/api/v1/login"), None, Some(login)).await;
        let admin = admin["token"].as_str().unwrap().to_owned();
        let seller = user(&client, &url, "seller@gas.rw", "seller").await;
        let buyer = user(&client, &url, "buyer@gas.rw", "buyer").await;
        let phone = json!({"payout_phone": "0788654321"});
        call(&client, reqwest::Method::PUT, format!("{url}/api/v1/seller/payout-phone"), Some(&seller), Some(phone))
            .await;
        let stock = json!({"brand": "Jibu", "weight": 12, "location": "Kigali", "quantity": 10, "unit_price": 1000});
        let item =
            call(&client, reqwest::Method::POST, format!("{url}/api/v1/seller/inventory"), Some(&seller), Some(stock))
                .await["id"]
                .as_i64()
                .unwrap();
        let order = json!({"inventory_id": item, "quantity": 2, "payment_method": "mobile_money",
                           "payer_phone": "0788123456"});
        let order = call(&client, reqwest::Method::POST, format!("{url}/api/v1/orders"), Some(&buyer), Some(order))
            .await["id"]
            .as_i64()
            .unwrap();
        let yes = json!({"approve": true});
        let approve = format!("{url}/api/v1/admin/orders/{order}/approve");
        call(&client, reqwest::Method::PATCH, approve, Some(&admin), Some(yes.clone())).await;
        let invoice = json!({"order_id": order, "delivery_fee": 500});
        let invoice =
            call(&client, reqwest::Method::POST, format!("{url}/api/v1/seller/invoice"), Some(&seller), Some(invoice))
                .await["id"]
                .as_i64()
                .unwrap();
        let approve = format!("{url}/api/v1/admin/invoices/{invoice}/approve");
        call(&client, reqwest::Method::PATCH, approve, Some(&admin), Some(yes)).await;
        payment_until(&client, &url, &buyer, order, |p| p["collection"]["status"] == "collected").await;

        // The seller's transfer is taken at once and answered only after a minute: the server
        // dies while it waits for that answer.
        sandbox.script(SELLER_PARTY, Behaviour::success().hang_first(1, Duration::from_secs(60)));
        let confirm = format!("{url}/api/v1/admin/delivery/{order}/confirm");
        call(&client, reqwest::Method::PATCH, confirm, Some(&admin), None).await;
        let deadline = std::time::Instant::now() + HANG;
        while sandbox.stats().transfer_posts == 0 {
            assert!(std::time::Instant::now() < deadline, "the payout was never sent");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server.child.kill().unwrap(); // SIGKILL: nothing after the send is recorded
        server.child.wait().unwrap();
        drop(server);
        let store = gasstock_core::Store::open(&database).await.unwrap();
        let admin_actor = gasstock_core::Actor { user_id: admin_user.id, role: gasstock_core::domain::Role::Admin };
        let cut_off = gasstock_core::Gasstock::new(store.clone()).order_payment(&admin_actor, order).await.unwrap();
        store.close().await;
        let cut_off = cut_off.payout.expect("the payout was queued before it was sent");
        assert_ne!(cut_off.status.as_str(), "paid", "the answer never came: {cut_off:?}");

        let restarted = Server::start(&database, &settings);
        let url = restarted.url.clone();
        payment_until(&client, &url, &admin, order, |p| p["payout"]["status"] == "paid").await;
        let stats = sandbox.stats();
        assert_eq!((stats.transfers, stats.transfer_posts), (1, 1), "reconciled by its reference, never sent again");
    }
}
