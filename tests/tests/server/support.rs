//! A real server on a random loopback port over a fresh database, and a small HTTP client.

use std::time::Duration;

use gasstock_server::{Config, RunningServer};
use gasstock_tests::{Backend, TestDb};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub const SECRET: &[u8] = b"test secret: 32 bytes or more, for HS256 tokens";
pub const PASSWORD: &str = "correct horse battery";

/// One server over one fresh database.
pub struct App {
    pub db: TestDb,
    pub server: RunningServer,
    pub client: reqwest::Client,
}

/// The tokens of [`App::market`]'s users and its stock item's id.
pub struct Market {
    pub seller: String,
    pub buyer: String,
    pub admin: String,
    pub item: i64,
}

/// A response: status, headers and the body parsed as JSON (`Value::Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// Asserts the status and, for errors, the JSON error body of docs/api.md with this code.
    #[track_caller]
    pub fn expect(&self, status: u16, context: &str) -> &Value {
        assert_eq!(self.status.as_u16(), status, "{context}: {}", self.text);
        if status >= 400 {
            assert_error_body(&self.body, context);
        }
        &self.body
    }

    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str, context: &str) {
        self.expect(status, context);
        assert_eq!(self.body["error"]["code"], code, "{context}: {}", self.text);
    }
}

/// `{"error": {"code": "...", "message": "...", "details": ...}}` and nothing else.
#[track_caller]
pub fn assert_error_body(body: &Value, context: &str) {
    let error = body.get("error").unwrap_or_else(|| panic!("{context}: no error object in {body}"));
    assert!(error["code"].as_str().is_some_and(|c| !c.is_empty()), "{context}: no code in {body}");
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{context}: no message in {body}");
    assert!(error.as_object().unwrap().contains_key("details"), "{context}: no details in {body}");
    assert_eq!(body.as_object().unwrap().len(), 1, "{context}: extra top-level fields in {body}");
}

pub fn config(db: &TestDb) -> Config {
    let mut config = Config::new(db.url.clone(), SECRET.to_vec());
    config.bind = "127.0.0.1:0".parse().unwrap();
    config
}

impl App {
    pub async fn start(backend: Backend) -> App {
        App::start_with(backend, |_| {}).await
    }

    pub async fn start_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> App {
        let db = TestDb::new(backend).await;
        let mut config = config(&db);
        tweak(&mut config);
        let server = gasstock_server::start(config).await.expect("server starts");
        let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        App { db, server, client }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body read");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()))
        };
        Reply { status, headers, body, text }
    }

    /// A JSON request (`body` `None`: no body), with a bearer token when given.
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut request = self.client.request(Method::from_bytes(method.as_bytes()).unwrap(), self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call("GET", path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call("POST", path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Option<Value>) -> Reply {
        self.call("PATCH", path, Some(token), body).await
    }

    /// Registers through the API; returns the user's id.
    pub async fn register(&self, email: &str, role: &str) -> i64 {
        let reply = self
            .call(
                "POST",
                "/api/v1/register",
                None,
                Some(json!({"email": email, "password": PASSWORD, "name": format!("{role} {email}"), "role": role,
                            "phone": "+250788000000", "location": "Kigali"})),
            )
            .await;
        reply.expect(201, "register")["id"].as_i64().unwrap()
    }

    pub async fn login(&self, email: &str) -> String {
        let reply = self.call("POST", "/api/v1/login", None, Some(json!({"email": email, "password": PASSWORD}))).await;
        reply.expect(200, "login")["token"].as_str().unwrap().to_owned()
    }

    /// Registers and signs in; returns (id, token).
    pub async fn user(&self, email: &str, role: &str) -> (i64, String) {
        let id = self.register(email, role).await;
        (id, self.login(email).await)
    }

    /// An admin made through the core (as the CLI does), signed in over HTTP.
    pub async fn admin(&self, email: &str) -> (i64, String) {
        let user = self.server.core().create_admin(email, Some("Admin"), PASSWORD).await.expect("create admin");
        (user.id, self.login(email).await)
    }

    /// A seller, a buyer and an admin, signed in, and one stock item of the seller's:
    /// 5 x Jibu 12 kg in Kigali at 1000.
    pub async fn market(&self) -> Market {
        let (_, seller) = self.user("seller@gas.rw", "seller").await;
        let (_, buyer) = self.user("buyer@gas.rw", "buyer").await;
        let (_, admin) = self.admin("admin@gas.rw").await;
        let item = self.stock(&seller, "Jibu", json!(12), "Kigali", 5, 1000).await;
        Market { seller, buyer, admin, item }
    }

    /// Adds a stock item as `seller`; returns its id.
    pub async fn stock(
        &self,
        seller: &str,
        brand: &str,
        weight: Value,
        location: &str,
        quantity: i64,
        price: i64,
    ) -> i64 {
        let reply = self
            .post(
                "/api/v1/seller/inventory",
                seller,
                json!({"brand": brand, "weight": weight, "location": location, "quantity": quantity, "unit_price": price}),
            )
            .await;
        assert!(reply.status == 201 || reply.status == 200, "stock: {}", reply.text);
        reply.body["id"].as_i64().unwrap()
    }

    pub async fn order(&self, buyer: &str, inventory_id: i64, quantity: i64) -> Value {
        let reply =
            self.post("/api/v1/orders", buyer, json!({"inventory_id": inventory_id, "quantity": quantity})).await;
        reply.expect(201, "order").clone()
    }

    pub async fn decide_order(&self, admin: &str, order_id: i64, approve: bool) -> Value {
        let reply = self
            .patch(&format!("/api/v1/admin/orders/{order_id}/approve"), admin, Some(json!({"approve": approve})))
            .await;
        reply.expect(200, "decide order").clone()
    }

    /// The quantity a seller's item has now (from the seller's own inventory).
    pub async fn quantity(&self, seller: &str, item_id: i64) -> i64 {
        let reply = self.get("/api/v1/seller/inventory?per_page=100", seller).await;
        let items = reply.expect(200, "inventory")["items"].as_array().unwrap().clone();
        items.iter().find(|item| item["id"] == item_id).expect("item listed")["quantity"].as_i64().unwrap()
    }
}

/// base64url without padding (for hand-made tokens).
pub fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

pub fn b64url_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let values: Vec<u32> =
        text.bytes().map(|c| ALPHABET.iter().position(|a| *a == c).expect("base64url") as u32).collect();
    let mut out = Vec::new();
    for chunk in values.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, v)| n | (v << (18 - 6 * i)));
        for i in 0..chunk.len().saturating_sub(1) {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}
