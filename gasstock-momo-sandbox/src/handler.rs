//! The HTTP side: one handler that routes by method and path, MoMo's checks in MoMo's order
//! (subscription key, token, target environment, reference, body), and the callbacks.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};
use warp::http::{HeaderMap, Method, StatusCode};
use warp::reply::{Reply, Response};
use warp::Filter;

use crate::behaviour::{Behaviour, CallbackMethod, Outcome};
use crate::state::{Decision, Product, Shared};

pub(crate) fn routes(shared: Arc<Shared>) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone {
    warp::method()
        .and(warp::path::full())
        .and(warp::header::headers_cloned())
        .and(warp::body::bytes())
        .then(move |method: Method, path: warp::path::FullPath, headers: HeaderMap, body: Bytes| {
            let shared = shared.clone();
            async move { handle(&shared, &method, path.as_str(), &headers, &body).await }
        })
        .recover(|_| async {
            Ok::<_, Infallible>(answer(StatusCode::BAD_REQUEST, "BAD_REQUEST", "unreadable request"))
        })
        .unify()
}

fn answer(status: StatusCode, code: &str, message: &str) -> Response {
    warp::reply::with_status(warp::reply::json(&json!({ "code": code, "message": message })), status).into_response()
}

fn json_reply(status: StatusCode, body: &impl serde::Serialize) -> Response {
    warp::reply::with_status(warp::reply::json(body), status).into_response()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

async fn handle(shared: &Arc<Shared>, method: &Method, path: &str, headers: &HeaderMap, body: &[u8]) -> Response {
    let parts: Vec<&str> = path.split('/').filter(|part| !part.is_empty()).collect();
    match (method.as_str(), parts.as_slice()) {
        ("PUT", ["sandbox", "script", party]) => control(body, |b| shared.script(party, b)),
        ("PUT", ["sandbox", "default"]) => control(body, |b| shared.set_default(b)),
        ("GET", ["sandbox", "stats"]) => json_reply(StatusCode::OK, &shared.stats()),
        ("GET", ["sandbox", "requests"]) => json_reply(StatusCode::OK, &shared.taken()),
        (_, [product, rest @ ..]) => match Product::parse(product) {
            Some(product) => api(shared, product, method, rest, headers, body).await,
            None => answer(StatusCode::NOT_FOUND, "RESOURCE_NOT_FOUND", "no such API"),
        },
        _ => answer(StatusCode::NOT_FOUND, "RESOURCE_NOT_FOUND", "no such API"),
    }
}

fn control(body: &[u8], apply: impl FnOnce(Behaviour)) -> Response {
    match serde_json::from_slice::<Behaviour>(body) {
        Ok(behaviour) => {
            apply(behaviour);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(err) => answer(StatusCode::BAD_REQUEST, "BAD_REQUEST", &format!("not a behaviour: {err}")),
    }
}

async fn api(
    shared: &Arc<Shared>,
    product: Product,
    method: &Method,
    rest: &[&str],
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let config = shared.config();
    let key = match product {
        Product::Collection => &config.collection_key,
        Product::Disbursement => &config.disbursement_key,
    };
    if header(headers, "Ocp-Apim-Subscription-Key") != Some(key.as_str()) {
        let message = "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.";
        return json_reply(StatusCode::UNAUTHORIZED, &json!({ "statusCode": 401, "message": message }));
    }
    if method == Method::POST && rest == ["token"] {
        let basic = format!("{}:{}", config.api_user, config.api_key);
        let expected = format!("Basic {}", base64(basic.as_bytes()));
        if header(headers, "Authorization") != Some(expected.as_str()) {
            return answer(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "API user and key refused");
        }
        let (token, lifetime) = shared.issue_token(product);
        return json_reply(
            StatusCode::OK,
            &json!({ "access_token": token, "token_type": "access_token", "expires_in": lifetime }),
        );
    }
    let bearer = header(headers, "Authorization").and_then(|value| value.strip_prefix("Bearer "));
    if !bearer.is_some_and(|token| shared.token_valid(token, product)) {
        return answer(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "Access token is missing, invalid or expired");
    }
    if header(headers, "X-Target-Environment") != Some(config.target_environment.as_str()) {
        return answer(StatusCode::BAD_REQUEST, "BAD_REQUEST", "X-Target-Environment is missing or wrong");
    }
    match (method.as_str(), rest) {
        ("POST", ["v1_0", resource]) if *resource == product.resource() => {
            let reference = header(headers, "X-Reference-Id").unwrap_or_default();
            let callback = header(headers, "X-Callback-Url").map(str::to_owned);
            create(shared, product, reference, callback, body, config.callback_method).await
        }
        ("GET", ["v1_0", resource, reference]) if *resource == product.resource() => {
            match shared.status(product, reference, true) {
                Some(status) => json_reply(StatusCode::OK, &status),
                None => answer(StatusCode::NOT_FOUND, "RESOURCE_NOT_FOUND", "Requested resource was not found."),
            }
        }
        _ => answer(StatusCode::NOT_FOUND, "RESOURCE_NOT_FOUND", "no such API"),
    }
}

/// The body's party id, after checking the fields MoMo requires.
fn check_body(product: Product, body: &Value) -> Result<String, String> {
    let amount = body["amount"].as_str().ok_or("amount: a decimal string is required")?;
    let positive = amount.parse::<f64>().is_ok_and(|value| value > 0.0 && value.is_finite());
    if !positive || !amount.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(format!("amount: '{amount}' is not a positive decimal"));
    }
    let currency = body["currency"].as_str().unwrap_or_default();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(format!("currency: '{currency}' is not an ISO 4217 code"));
    }
    let party = &body[product.party_field()];
    if party["partyIdType"].as_str() != Some("MSISDN") {
        return Err(format!("{}.partyIdType: MSISDN is required", product.party_field()));
    }
    match party["partyId"].as_str() {
        Some(id) if (8..=15).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit()) => Ok(id.to_owned()),
        _ => Err(format!("{}.partyId: an MSISDN without + is required", product.party_field())),
    }
}

async fn create(
    shared: &Arc<Shared>,
    product: Product,
    reference: &str,
    callback: Option<String>,
    body: &[u8],
    method: CallbackMethod,
) -> Response {
    let Ok(reference) = uuid::Uuid::parse_str(reference).map(|id| id.hyphenated().to_string()) else {
        return answer(StatusCode::BAD_REQUEST, "BAD_REQUEST", "X-Reference-Id must be a UUID");
    };
    let body: Value = match serde_json::from_slice(body) {
        Ok(body) => body,
        Err(err) => return answer(StatusCode::BAD_REQUEST, "BAD_REQUEST", &format!("body is not JSON: {err}")),
    };
    let party = match check_body(product, &body) {
        Ok(party) => party,
        Err(why) => return answer(StatusCode::BAD_REQUEST, "BAD_REQUEST", &why),
    };
    match shared.take(product, &reference, &party, body) {
        Decision::Error => answer(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_PROCESSING_ERROR", "scripted failure"),
        Decision::Duplicate => answer(
            StatusCode::CONFLICT,
            "RESOURCE_ALREADY_EXIST",
            "Duplicated reference id. Creation of resource failed.",
        ),
        Decision::Taken { hang, behaviour } => {
            if let Some(url) = callback.filter(|_| behaviour.callbacks > 0 && behaviour.outcome != Outcome::Pending) {
                spawn_callbacks(shared, product, reference, url, behaviour, method);
            }
            if let Some(hang) = hang {
                tokio::time::sleep(hang).await;
            }
            StatusCode::ACCEPTED.into_response()
        }
    }
}

/// Once the outcome is reached, sends the status body `behaviour.callbacks` times at once.
/// The delivery is best effort, as MoMo's is: nothing is retried.
fn spawn_callbacks(
    shared: &Arc<Shared>,
    product: Product,
    reference: String,
    url: String,
    b: Behaviour,
    m: CallbackMethod,
) {
    let http = shared.http.clone();
    // The body as it will read once settled (the callback is only sent then).
    let Some(mut body) = shared.status(product, &reference, false) else { return };
    body["status"] = json!(if b.outcome == Outcome::Successful { "SUCCESSFUL" } else { "FAILED" });
    if b.outcome == Outcome::Failed {
        body["reason"] = json!(b.reason);
    }
    body["referenceId"] = json!(reference);
    let shared = shared.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(b.settle_after_ms)).await;
        let sends = (0..b.callbacks).map(|_| {
            let request = match m {
                CallbackMethod::Post => http.post(&url),
                CallbackMethod::Put => http.put(&url),
            };
            let request = request.json(&body);
            let shared = shared.clone();
            tokio::spawn(async move {
                if request.send().await.is_ok() {
                    shared.callback_sent();
                }
            })
        });
        for send in sends.collect::<Vec<_>>() {
            let _ = send.await;
        }
    });
}

/// Minimal standard base64 (the sandbox checks HTTP Basic; no crate for 15 lines).
fn base64(input: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(TABLE[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
