//! Issue 15, part 3: the stream from a browser. `POST /notifications/stream-ticket` gives a
//! single-use, 60-second ticket bound to the caller and their token; `GET
//! /notifications/stream?ticket=` opens that user's stream with it, once, on any instance of
//! the database; `?last_event_id=` resumes like the header.

use std::time::Duration;

use chrono::{DateTime, Utc};
use gasstock_tests::for_each_backend;
use serde_json::{json, Value};

use crate::notifications::{fast_app, feed, WAIT};
use crate::sse_client::SseStream;
use crate::support::{App, Reply};

async fn ticket(app: &App, token: &str) -> (String, DateTime<Utc>) {
    let reply = app.call("POST", "/api/v1/notifications/stream-ticket", Some(token), None).await;
    let body = reply.expect(201, "stream ticket").clone();
    let ticket = body["ticket"].as_str().expect("a ticket").to_owned();
    assert!(ticket.len() == 64 && ticket.bytes().all(|b| b.is_ascii_hexdigit()), "{ticket}");
    let expires_at = DateTime::parse_from_rfc3339(body["expires_at"].as_str().unwrap()).unwrap().with_timezone(&Utc);
    (ticket, expires_at)
}

fn ticket_url(base: &str, ticket: &str) -> String {
    format!("{base}/api/v1/notifications/stream?ticket={ticket}")
}

/// Opens a stream with a ticket and no `Authorization` header; the reply when not 200.
async fn try_ticket(client: &reqwest::Client, url: &str) -> Option<Reply> {
    let response = client.get(url).send().await.expect("request sent");
    let status = response.status();
    if status == 200 {
        return None;
    }
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Some(Reply { status, headers, body, text })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_opens_the_callers_own_stream_once() {
    for_each_backend(|db| async move {
        let app = fast_app(db.backend).await;
        drop(db);
        let (_, buyer) = app.user("buyer@gas.rw", "buyer").await;
        let (_, seller) = app.user("seller@gas.rw", "seller").await;
        let (_, admin) = app.admin("admin@gas.rw").await;
        let item = app.stock(&seller, "Jibu", json!("12kg"), "Kigali", 10, 15_000).await;
        let base = app.server.url();

        app.call("POST", "/api/v1/notifications/stream-ticket", None, None).await.expect_error(
            401,
            "unauthenticated",
            "no token, no ticket",
        );
        let before = Utc::now();
        let (first, expires_at) = ticket(&app, &buyer).await;
        assert!(expires_at > before && expires_at <= Utc::now() + chrono::Duration::seconds(60), "{expires_at}");
        let (second, _) = ticket(&app, &buyer).await;
        assert_ne!(first, second, "every ticket is new");

        // The ticket opens the buyer's stream, without any Authorization header.
        let mut stream = SseStream::open(app.client.get(ticket_url(&base, &first))).await;
        let order = app.order(&buyer, item, 1).await["id"].as_i64().unwrap();
        app.decide_order(&admin, order, true).await;
        let event = stream.event(WAIT, "the buyer's approval").await;
        assert_eq!((event.event.as_deref(), event.json()["order_id"].as_i64()), (Some("order.approved"), Some(order)));
        assert!(stream.until_keepalive(WAIT, "the buyer's only").await.is_empty(), "not the seller's order.created");

        // Once only.
        let used = try_ticket(&app.client, &ticket_url(&base, &first)).await.expect("a used ticket is refused");
        used.expect_error(401, "unauthenticated", "a used ticket");
        for bad in ["nope", &"0".repeat(64), &"g".repeat(64), ""] {
            let refused = try_ticket(&app.client, &ticket_url(&base, bad)).await.expect("refused");
            refused.expect_error(401, "unauthenticated", bad);
        }
        let unknown = try_ticket(&app.client, &format!("{}&user_id=1", ticket_url(&base, &second))).await.unwrap();
        unknown.expect_error(400, "invalid_query", "an unknown parameter");
        let negative = try_ticket(&app.client, &format!("{}&last_event_id=-1", ticket_url(&base, &second))).await;
        negative.unwrap().expect_error(422, "invalid", "a negative last_event_id");

        // `?last_event_id=` resumes like the header (a new EventSource cannot set the header).
        let mut resumed =
            SseStream::open(app.client.get(format!("{}&last_event_id=0", ticket_url(&base, &second)))).await;
        let replayed = resumed.until_keepalive(WAIT, "the replay").await;
        let expected: Vec<i64> = feed(&app, &buyer).await.iter().map(|n| n["id"].as_i64().unwrap()).collect();
        assert_eq!(replayed.iter().map(|e| e.id()).collect::<Vec<_>>(), expected);

        // The stream ends with the token that asked for the ticket, and a revoked token's
        // tickets open nothing.
        let (third, _) = ticket(&app, &buyer).await;
        app.call("POST", "/api/v1/logout", Some(&buyer), None).await.expect(204, "logout");
        stream.until_closed(WAIT, "the token was revoked").await;
        let revoked = try_ticket(&app.client, &ticket_url(&base, &third)).await.expect("refused");
        revoked.expect_error(401, "unauthenticated", "a revoked token's ticket");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_works_once_across_instances_and_never_outlives_its_token() {
    for_each_backend(|db| async move {
        let app = App::start_with(db.backend, |config| {
            config.token_ttl = Duration::from_secs(30);
            config.stream_heartbeat = Duration::from_millis(300);
        })
        .await;
        drop(db);
        let mut config = crate::support::config(&app.db);
        config.webhook_worker = None;
        let other = gasstock_server::start(config).await.expect("second instance starts");
        let (_, buyer) = app.user("buyer@gas.rw", "buyer").await;
        let login = app
            .call(
                "POST",
                "/api/v1/login",
                None,
                Some(json!({"email": "buyer@gas.rw",
            "password": crate::support::PASSWORD})),
            )
            .await;
        let token_expires = login.expect(200, "login")["expires_at"].as_str().unwrap().to_owned();
        let token = login.body["token"].as_str().unwrap().to_owned();
        let (raced, expires_at) = ticket(&app, &token).await;
        let token_expires = DateTime::parse_from_rfc3339(&token_expires).unwrap().with_timezone(&Utc);
        assert!(expires_at <= token_expires, "a 30 s token gives a ticket of at most 30 s: {expires_at}");

        // Presented to both instances at once: exactly one opens a stream.
        let (here, there) = (ticket_url(&app.server.url(), &raced), ticket_url(&other.url(), &raced));
        let (a, b) = tokio::join!(try_ticket(&app.client, &here), try_ticket(&app.client, &there));
        let refused: Vec<Reply> = [a, b].into_iter().flatten().collect();
        assert_eq!(refused.len(), 1, "one instance opened it, the other refused it");
        refused[0].expect_error(401, "unauthenticated", "the loser of the race");

        // Issued on one instance, used on the other.
        let (across, _) = ticket(&app, &buyer).await;
        assert!(try_ticket(&app.client, &ticket_url(&other.url(), &across)).await.is_none(), "opened elsewhere");
        let again = try_ticket(&app.client, &ticket_url(&app.server.url(), &across)).await.expect("used");
        again.expect_error(401, "unauthenticated", "used on the other instance");
        other.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_ticket_opens_nothing() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let buyer = gasstock_tests::fixtures::user(&core, gasstock_core::domain::Role::Buyer, "buyer").await;
        let now = DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap();
        // A token about to expire gives a ticket that expires with it.
        let issued = core.issue_stream_ticket(&buyer, "jti-1", now + chrono::Duration::seconds(2)).await.unwrap();
        assert_eq!(issued.expires_at, now + chrono::Duration::seconds(2));
        let kept = core.issue_stream_ticket(&buyer, "jti-1", now + chrono::Duration::hours(1)).await.unwrap();
        assert_eq!(kept.expires_at, now + chrono::Duration::seconds(60), "60 s at most");
        while Utc::now() <= issued.expires_at {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(core.redeem_stream_ticket(&issued.ticket).await.unwrap(), None, "expired");
        let grant = core.redeem_stream_ticket(&kept.ticket).await.unwrap().expect("still valid");
        assert_eq!((grant.user_id, grant.token_id.as_str()), (buyer.user_id, "jti-1"));
        assert_eq!(core.redeem_stream_ticket(&kept.ticket).await.unwrap(), None, "used");
        let expired = core.issue_stream_ticket(&buyer, "jti-2", now - chrono::Duration::seconds(1)).await;
        assert!(matches!(expired, Err(gasstock_core::Error::Unauthenticated(_))), "{expired:?}");
    })
    .await;
}
