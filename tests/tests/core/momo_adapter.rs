//! The MoMo adapter over real HTTP against the project's sandbox (no database: these are
//! the provider port's own guarantees, which the payment workflows build on).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gasstock_core::domain::{Amount, Currency, Msisdn};
use gasstock_core::payments::{
    CollectionRequest, MomoConfig, MomoProvider, PaymentProvider, ProviderError, ProviderStatus, Reference,
    TransferRequest,
};
use gasstock_momo_sandbox::{Behaviour, Sandbox, SandboxConfig};
use warp::Filter;

const PAYER: &str = "+250788123456";
const PAYEE: &str = "+250788654321";

fn config(sandbox: &Sandbox, extra: &[(&str, String)]) -> MomoConfig {
    let mut env: HashMap<String, String> = sandbox.env().into_iter().collect();
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let mut config = MomoConfig::from_lookup(|name| env.get(name).cloned()).unwrap().expect("configured");
    config.retry_base = Duration::from_millis(10);
    config
}

fn collection(amount: i64) -> CollectionRequest {
    CollectionRequest {
        amount: Amount::new(amount, "amount").unwrap(),
        currency: Currency::RWF,
        payer: PAYER.parse::<Msisdn>().unwrap(),
        external_id: "order-7".into(),
        message: "gasstock order 7".into(),
    }
}

fn transfer(amount: i64) -> TransferRequest {
    TransferRequest {
        amount: Amount::new(amount, "amount").unwrap(),
        currency: Currency::RWF,
        payee: PAYEE.parse::<Msisdn>().unwrap(),
        external_id: "payout-7".into(),
        message: "gasstock payout".into(),
    }
}

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::default()).await.unwrap()
}

/// Reads the status until it is final (the sandbox's delays are short; the bound only
/// stops a broken build from hanging).
async fn settled(provider: &MomoProvider, reference: &Reference, transfer: bool) -> ProviderStatus {
    for _ in 0..500 {
        let status = if transfer {
            provider.transfer_status(reference).await.unwrap()
        } else {
            provider.collection_status(reference).await.unwrap()
        };
        if status.is_final() {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{reference} never settled");
}

#[tokio::test]
async fn a_request_to_pay_is_taken_once_and_read_back_successful() {
    let sandbox = sandbox().await;
    let provider = MomoProvider::new(config(&sandbox, &[])).unwrap();
    let reference = Reference::new();
    provider.request_to_pay(&reference, &collection(31_000)).await.unwrap();
    match provider.collection_status(&reference).await.unwrap() {
        ProviderStatus::Successful { transaction_id } => assert!(transaction_id.is_some()),
        other => panic!("{other:?}"),
    }
    let taken = sandbox.requests();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].kind, "requesttopay");
    assert_eq!(taken[0].reference, reference.as_str());
    assert_eq!((taken[0].party_id.as_str(), taken[0].amount.as_str()), ("250788123456", "31000"));
    assert_eq!((taken[0].currency.as_str(), taken[0].external_id.as_str()), ("RWF", "order-7"));
    // Sending the same reference again is answered 409 by MoMo, which the adapter reads as
    // "already taken": no second debit.
    provider.request_to_pay(&reference, &collection(31_000)).await.unwrap();
    let stats = sandbox.stats();
    assert_eq!((stats.collections, stats.collection_posts), (1, 2));
    assert_eq!(stats.tokens_issued, 1, "the token is cached between calls");
}

#[tokio::test]
async fn a_delayed_collection_is_pending_then_successful_and_a_refused_one_failed() {
    let sandbox = sandbox().await;
    let provider = MomoProvider::new(config(&sandbox, &[])).unwrap();
    sandbox.script("250788123456", Behaviour::success().delayed(Duration::from_millis(400)));
    let reference = Reference::new();
    provider.request_to_pay(&reference, &collection(1_000)).await.unwrap();
    assert_eq!(provider.collection_status(&reference).await.unwrap(), ProviderStatus::Pending);
    assert!(matches!(settled(&provider, &reference, false).await, ProviderStatus::Successful { .. }));

    sandbox.script("250788123456", Behaviour::failure("APPROVAL_REJECTED"));
    let refused = Reference::new();
    provider.request_to_pay(&refused, &collection(1_000)).await.unwrap();
    assert_eq!(
        provider.collection_status(&refused).await.unwrap(),
        ProviderStatus::Failed { reason: "APPROVAL_REJECTED".into() }
    );
    match provider.collection_status(&Reference::new()).await {
        Err(ProviderError::NotFound(_)) => {}
        other => panic!("an unknown reference: {other:?}"),
    }
}

#[tokio::test]
async fn a_500_then_success_is_retried_under_the_same_reference() {
    let sandbox = sandbox().await;
    let provider = MomoProvider::new(config(&sandbox, &[])).unwrap();
    sandbox.script("250788654321", Behaviour::success().errors_first(2));
    let reference = Reference::new();
    provider.transfer(&reference, &transfer(9_000)).await.unwrap();
    let stats = sandbox.stats();
    assert_eq!((stats.transfer_posts, stats.transfers), (3, 1), "two 500s, then taken once");
    assert!(matches!(provider.transfer_status(&reference).await.unwrap(), ProviderStatus::Successful { .. }));
    assert!(sandbox.requests().iter().all(|r| r.reference == reference.as_str()));

    // More 500s than attempts: the outcome is unknown, nothing was taken, and the status read
    // by the same reference says so.
    sandbox.script("250788654321", Behaviour::success().errors_first(10));
    let lost = Reference::new();
    match provider.transfer(&lost, &transfer(9_000)).await {
        Err(ProviderError::Unknown(why)) => assert!(why.contains("500"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(provider.transfer_status(&lost).await, Err(ProviderError::NotFound(_))));
    assert_eq!(sandbox.stats().transfers, 1);
}

#[tokio::test]
async fn a_timeout_after_the_transfer_was_taken_never_sends_it_twice() {
    let sandbox = sandbox().await;
    let provider = MomoProvider::new(config(&sandbox, &[("GASSTOCK_MOMO_TIMEOUT", "300ms".into())])).unwrap();
    // The first POST is taken but answered after 3 s: the adapter gives up at 300 ms and
    // sends it again with the same reference, which is answered 409 (already taken).
    sandbox.script("250788654321", Behaviour::success().hang_first(1, Duration::from_secs(3)));
    let reference = Reference::new();
    provider.transfer(&reference, &transfer(5_000)).await.unwrap();
    let stats = sandbox.stats();
    assert_eq!((stats.transfer_posts, stats.transfers), (2, 1));
    assert!(matches!(settled(&provider, &reference, true).await, ProviderStatus::Successful { .. }));

    // With one attempt only, the timeout is reported as an unknown outcome, and a status
    // read finds the transfer the provider took.
    let mut once = config(&sandbox, &[("GASSTOCK_MOMO_TIMEOUT", "300ms".into())]);
    once.attempts = 1;
    let provider = MomoProvider::new(once).unwrap();
    sandbox.script("250788654321", Behaviour::success().hang_first(1, Duration::from_secs(3)));
    let reference = Reference::new();
    match provider.transfer(&reference, &transfer(5_000)).await {
        Err(ProviderError::Unknown(why)) => assert!(why.contains("no answer"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(provider.transfer_status(&reference).await.unwrap(), ProviderStatus::Successful { .. }));
    assert_eq!(sandbox.stats().transfers, 2);
}

#[tokio::test]
async fn wrong_credentials_and_bad_requests_are_refused_not_retried_into_unknown() {
    let sandbox = sandbox().await;
    let provider = MomoProvider::new(config(&sandbox, &[("GASSTOCK_MOMO_API_KEY", "wrong".into())])).unwrap();
    match provider.request_to_pay(&Reference::new(), &collection(1_000)).await {
        Err(ProviderError::Refused(why)) => assert!(why.contains("401"), "{why}"),
        other => panic!("{other:?}"),
    }
    let provider = MomoProvider::new(config(&sandbox, &[("GASSTOCK_MOMO_COLLECTION_KEY", "wrong".into())])).unwrap();
    assert!(matches!(
        provider.collection_status(&Reference::new()).await,
        Err(ProviderError::Refused(why)) if why.contains("401")
    ));
    let provider =
        MomoProvider::new(config(&sandbox, &[("GASSTOCK_MOMO_TARGET_ENVIRONMENT", "mtnrwanda".into())])).unwrap();
    assert!(matches!(
        provider.transfer(&Reference::new(), &transfer(1_000)).await,
        Err(ProviderError::Refused(why)) if why.contains("400")
    ));
    let stats = sandbox.stats();
    assert_eq!((stats.collections, stats.transfers), (0, 0));
}

#[tokio::test]
async fn duplicate_callbacks_carry_the_reference_and_the_status() {
    let sandbox = sandbox().await;
    let received = Arc::new(Mutex::new(Vec::<serde_json::Value>::new()));
    let log = received.clone();
    let route = warp::post().and(warp::body::json()).map(move |body: serde_json::Value| {
        log.lock().unwrap().push(body);
        warp::http::StatusCode::OK
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let callback = format!("http://{}/api/v1/payments/momo/callback", listener.local_addr().unwrap());
    tokio::spawn(warp::serve(route).incoming(listener).run());

    let provider = MomoProvider::new(config(&sandbox, &[("GASSTOCK_MOMO_CALLBACK_URL", callback)])).unwrap();
    sandbox.script("250788123456", Behaviour::failure("NOT_ENOUGH_FUNDS").callbacks(3));
    let reference = Reference::new();
    provider.request_to_pay(&reference, &collection(2_000)).await.unwrap();
    for _ in 0..500 {
        if received.lock().unwrap().len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let bodies = received.lock().unwrap().clone();
    assert_eq!(bodies.len(), 3, "three callbacks for one request");
    for body in &bodies {
        assert_eq!(body["referenceId"], reference.as_str());
        assert_eq!(body["status"], "FAILED");
        assert_eq!(body["reason"], "NOT_ENOUGH_FUNDS");
    }
    assert_eq!(sandbox.stats().callbacks_sent, 3);
    assert_eq!(sandbox.stats().collections, 1);
}

#[tokio::test]
async fn another_process_scripts_the_sandbox_over_http() {
    let sandbox = sandbox().await;
    let http = reqwest::Client::new();
    let answer = http
        .put(format!("{}/sandbox/script/250788123456", sandbox.url()))
        .json(&serde_json::json!({ "outcome": "failed", "reason": "PAYER_NOT_FOUND" }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 204);
    let bad = http.put(format!("{}/sandbox/default", sandbox.url())).body("{\"outcome\": 7}").send().await.unwrap();
    assert_eq!(bad.status(), 400);
    let provider = MomoProvider::new(config(&sandbox, &[])).unwrap();
    let reference = Reference::new();
    provider.request_to_pay(&reference, &collection(1_000)).await.unwrap();
    assert_eq!(
        provider.collection_status(&reference).await.unwrap(),
        ProviderStatus::Failed { reason: "PAYER_NOT_FOUND".into() }
    );
    let stats: serde_json::Value =
        http.get(format!("{}/sandbox/stats", sandbox.url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(stats["collections"], 1);
    assert_eq!(stats["status_reads"], 1);
}
