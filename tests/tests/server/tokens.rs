//! Tokens that must not work, login throttling, and what several instances share.

use gasstock_server::auth::Claims;
use gasstock_tests::Backend;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::support::{b64url, b64url_decode, config, App, PASSWORD, SECRET};

fn sign(claims: &Claims, secret: &[u8]) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret)).unwrap()
}

/// Polls `status` until it answers `want` or the auth cache's staleness bound (plus slack for
/// a loaded machine) has passed; returns the last answer. Another instance learns of a
/// logout or a deleted user within `AUTH_CACHE_MAX_AGE`, not at once.
async fn eventually<F, Fut>(want: u16, mut status: F) -> u16
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = u16>,
{
    let deadline = std::time::Instant::now() + gasstock_server::auth::AUTH_CACHE_MAX_AGE * 3;
    loop {
        let got = status().await;
        if got == want || std::time::Instant::now() >= deadline {
            return got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn claims_of(token: &str) -> Claims {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&b64url_decode(payload)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_are_refused() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start(backend).await;
        let (buyer_id, buyer) = app.user("buyer@gas.rw", "buyer").await;
        app.get("/api/v1/orders", &buyer).await.expect(200, "the real token works");
        let claims = claims_of(&buyer);
        assert_eq!(claims.sub, buyer_id.to_string());
        assert!(claims.exp > claims.iat && !claims.jti.is_empty());
        let parts: Vec<&str> = buyer.split('.').collect();

        let refused = |token: String, why: &'static str| {
            let app = &app;
            async move {
                let reply = app.get("/api/v1/orders", &token).await;
                reply.expect_error(401, "unauthenticated", why);
                let reply = app.get("/api/v1/admin/orders/pending", &token).await;
                reply.expect_error(401, "unauthenticated", why);
            }
        };

        // Payload changed to claim the admin role, signature kept.
        let mut admin_claims = serde_json::to_value(&claims).unwrap();
        admin_claims["role"] = json!("admin");
        let tampered = format!("{}.{}.{}", parts[0], b64url(admin_claims.to_string().as_bytes()), parts[2]);
        refused(tampered, "tampered payload").await;
        // Signature changed.
        let mut signature = parts[2].to_owned();
        let last = if signature.ends_with('A') { "B" } else { "A" };
        signature.replace_range(signature.len() - 1.., last);
        refused(format!("{}.{}.{signature}", parts[0], parts[1]), "tampered signature").await;
        // alg none, with and without a signature.
        let none_header = b64url(br#"{"alg":"none","typ":"JWT"}"#);
        refused(format!("{none_header}.{}.", parts[1]), "alg none").await;
        refused(format!("{none_header}.{}.{}", parts[1], parts[2]), "alg none with signature").await;
        // Another HMAC algorithm than HS256 with the right secret.
        let hs512 =
            jsonwebtoken::encode(&Header::new(Algorithm::HS512), &claims, &EncodingKey::from_secret(SECRET)).unwrap();
        refused(hs512, "HS512").await;
        // Signed with another secret.
        refused(sign(&claims, b"some other secret that is long enough!!"), "wrong secret").await;
        // Expired (well past any leeway), but correctly signed.
        let now = chrono::Utc::now().timestamp();
        let expired = Claims { iat: now - 7200, exp: now - 3600, ..claims.clone() };
        refused(sign(&expired, SECRET), "expired").await;
        // A user that does not exist.
        let ghost = Claims { sub: "999999".into(), ..claims.clone() };
        refused(sign(&ghost, SECRET), "unknown user").await;
        refused(sign(&Claims { sub: "not-a-number".into(), ..claims.clone() }, SECRET), "bad subject").await;
        // Garbage and other schemes.
        refused("not.a.jwt".into(), "garbage").await;
        for header in ["Basic YnV5ZXI6cGFzcw==", "Bearer", "", &buyer] {
            let reply = app.send(app.client.get(app.url("/api/v1/orders")).header("Authorization", header)).await;
            reply.expect_error(401, "unauthenticated", &format!("Authorization: {header:.20}"));
        }
        // A correctly signed token with our secret still works (the checks above are not
        // refusing everything).
        app.get("/api/v1/orders", &sign(&claims, SECRET)).await.expect(200, "re-signed original claims");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_revokes_only_that_token_across_instances() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start(backend).await;
        let (_, first) = app.user("buyer@gas.rw", "buyer").await;
        let second = app.login("buyer@gas.rw").await;
        assert_ne!(first, second);

        // A second instance over the same database with the same secret accepts the token.
        let other = gasstock_server::start(config(&app.db)).await.expect("second instance");
        let other_url = format!("{}/api/v1/orders", other.url());
        let status = |token: String| {
            let client = app.client.clone();
            let url = other_url.clone();
            async move { client.get(url).bearer_auth(token).send().await.unwrap().status().as_u16() }
        };
        assert_eq!(status(first.clone()).await, 200);

        let reply = app.call("POST", "/api/v1/logout", Some(&first), None).await;
        assert_eq!(reply.status, 204, "{}", reply.text);
        assert!(reply.text.is_empty());
        app.get("/api/v1/orders", &first).await.expect_error(401, "unauthenticated", "revoked");
        app.call("POST", "/api/v1/logout", Some(&first), None).await.expect(401, "logout twice");
        // The other instance learns of it within the auth cache's bound (AUTH_CACHE_MAX_AGE).
        assert_eq!(eventually(401, || status(first.clone())).await, 401, "revocation holds on the other instance");
        assert_eq!(status(second.clone()).await, 200, "the other token still works");
        app.get("/api/v1/orders", &second).await.expect(200, "other token");
        other.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_users_lose_access() {
    use sqlx::Connection;
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start(backend).await;
        let (id, token) = app.user("gone@gas.rw", "buyer").await;
        app.get("/api/v1/orders", &token).await.expect(200, "before");
        match backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
                sqlx::query("DELETE FROM users WHERE id = ?").bind(id).execute(&mut conn).await.unwrap();
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
                sqlx::query("DELETE FROM users WHERE id = $1").bind(id).execute(&mut conn).await.unwrap();
            }
        }
        // Within the auth cache's bound (AUTH_CACHE_MAX_AGE), not at once.
        let status = || async { app.get("/api/v1/orders", &token).await.status.as_u16() };
        assert_eq!(eventually(401, status).await, 401, "deleted user");
        app.get("/api/v1/orders", &token).await.expect_error(401, "unauthenticated", "deleted user");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_failures_are_uniform_and_throttled() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start_with(backend, |config| {
            config.login_attempts_per_email = 3;
            config.login_attempts_per_client = 8;
            // Long enough that no wait ends between two requests on a slow machine.
            config.throttling.login_delay_base = std::time::Duration::from_secs(60);
        })
        .await;
        app.register("buyer@gas.rw", "buyer").await;
        let login = |email: &'static str, password: &'static str| {
            let app = &app;
            async move { app.call("POST", "/api/v1/login", None, Some(json!({"email": email, "password": password}))).await }
        };

        // Wrong password and unknown email: the same 401 body.
        let wrong_password = login("buyer@gas.rw", "wrong password").await;
        let unknown_email = login("nobody@gas.rw", "wrong password").await;
        wrong_password.expect_error(401, "unauthenticated", "wrong password");
        unknown_email.expect_error(401, "unauthenticated", "unknown email");
        assert_eq!(wrong_password.body, unknown_email.body);

        // The fourth attempt for an email from this client waits, even with the right
        // password, and the answer is the same whether the account exists (other clients are
        // not held up: see throttle.rs).
        login("buyer@gas.rw", "wrong again").await.expect(401, "2nd");
        login("BUYER@gas.rw", "and again").await.expect(401, "3rd, other case");
        let throttled = login("buyer@gas.rw", PASSWORD).await;
        throttled.expect_error(429, "too_many_attempts", "throttled");
        let retry_after: u64 = throttled.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(retry_after >= 1);
        login("nobody@gas.rw", "x").await.expect(401, "2nd unknown");
        login("nobody@gas.rw", "x").await.expect(401, "3rd unknown");
        let throttled_unknown = login("nobody@gas.rw", "x").await;
        throttled_unknown.expect_error(429, "too_many_attempts", "unknown email throttled too");

        // Per client: 6 failures so far from this address (the refused attempts are not
        // counted); two more, then every email waits.
        login("third@gas.rw", "x").await.expect(401, "7th from this client");
        login("fourth@gas.rw", "x").await.expect(401, "8th from this client");
        login("fifth@gas.rw", "x").await.expect_error(429, "too_many_attempts", "client over its limit");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn successful_login_returns_a_bearer_token_and_the_user() {
    for backend in Backend::available() {
        let app = App::start(backend).await;
        let id = app.register("seller@gas.rw", "seller").await;
        let reply = app
            .call("POST", "/api/v1/login", None, Some(json!({"email": "seller@gas.rw", "password": PASSWORD})))
            .await;
        let body: Value = reply.expect(200, "login").clone();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!((body["user"]["id"].as_i64(), body["user"]["role"].as_str()), (Some(id), Some("seller")));
        assert!(body["user"].get("password_hash").is_none() && !reply.text.contains("argon2"));
        let expires_at = chrono::DateTime::parse_from_rfc3339(body["expires_at"].as_str().unwrap()).unwrap();
        let claims = claims_of(body["token"].as_str().unwrap());
        assert_eq!(expires_at.timestamp(), claims.exp);
        assert_eq!(claims.exp - claims.iat, 3600, "default lifetime is one hour");
        assert_eq!(serde_json::to_value(claims.role).unwrap(), "seller");
    }
}
