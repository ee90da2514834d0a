//! The MTN MoMo Open API adapter: OAuth tokens from `/{product}/token/` (HTTP Basic with the
//! API user and key), `POST /collection/v1_0/requesttopay` and `POST
//! /disbursement/v1_0/transfer` (answered `202 Accepted`), and `GET …/{X-Reference-Id}` for
//! the status (`PENDING`, `SUCCESSFUL`, `FAILED` with a reason). Every call carries
//! `Ocp-Apim-Subscription-Key` and `X-Target-Environment`.
//!
//! Retries: a call with no answer (timeout, connection error, 5xx) is sent again with the
//! same `X-Reference-Id`, so the provider can take it at most once; its `409
//! RESOURCE_ALREADY_EXIST` to a retry means an earlier attempt was taken, which is success.
//! When the attempts run out the outcome is [`ProviderError::Unknown`] and the caller
//! reads the status by that reference rather than sending anything new.

use std::time::{Duration, Instant};

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};
use tokio::sync::Mutex;

use super::momo_config::{Credentials, MomoConfig};
use super::provider::{
    CollectionRequest, PaymentProvider, ProviderError, ProviderFuture, ProviderStatus, Reference, TransferRequest,
};
use crate::domain::{Amount, Currency, Msisdn};

/// A token is renewed this long before MoMo says it expires, so none dies in flight.
const TOKEN_MARGIN: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Product {
    Collection,
    Disbursement,
}

impl Product {
    fn name(self) -> &'static str {
        match self {
            Product::Collection => "collection",
            Product::Disbursement => "disbursement",
        }
    }

    fn resource(self) -> &'static str {
        match self {
            Product::Collection => "requesttopay",
            Product::Disbursement => "transfer",
        }
    }
}

#[derive(Debug)]
struct Token {
    value: String,
    renew_at: Instant,
}

/// The adapter; cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct MomoProvider {
    config: MomoConfig,
    http: reqwest::Client,
    collection_token: Mutex<Option<Token>>,
    disbursement_token: Mutex<Option<Token>>,
}

/// One attempt's result: an answer to read, or a reason to try again.
enum Attempt {
    Answer(Response),
    Retry(String),
}

impl MomoProvider {
    pub fn new(config: MomoConfig) -> Result<MomoProvider, ProviderError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|err| ProviderError::Refused(format!("HTTP client: {err}")))?;
        Ok(MomoProvider { config, http, collection_token: Mutex::new(None), disbursement_token: Mutex::new(None) })
    }

    pub fn config(&self) -> &MomoConfig {
        &self.config
    }

    fn credentials(&self, product: Product) -> &Credentials {
        match product {
            Product::Collection => &self.config.collection,
            Product::Disbursement => &self.config.disbursement,
        }
    }

    fn token_slot(&self, product: Product) -> &Mutex<Option<Token>> {
        match product {
            Product::Collection => &self.collection_token,
            Product::Disbursement => &self.disbursement_token,
        }
    }

    /// A valid access token for `product`, bought with HTTP Basic when none is cached.
    async fn token(&self, product: Product) -> Result<String, Attempt> {
        let mut slot = self.token_slot(product).lock().await;
        if let Some(token) = slot.as_ref().filter(|t| Instant::now() < t.renew_at) {
            return Ok(token.value.clone());
        }
        let credentials = self.credentials(product);
        let url = format!("{}/{}/token/", self.config.base_url, product.name());
        let sent = self
            .http
            .post(url)
            .basic_auth(&credentials.api_user, Some(&credentials.api_key))
            .header("Ocp-Apim-Subscription-Key", &credentials.subscription_key)
            .send()
            .await;
        let response = match sent {
            Ok(response) if response.status().is_success() => response,
            Ok(response) if response.status().is_server_error() => {
                return Err(Attempt::Retry(format!("token: HTTP {}", response.status())))
            }
            Ok(response) => return Err(Attempt::Answer(response)),
            Err(err) => return Err(Attempt::Retry(format!("token: {err}"))),
        };
        let body: Value = response.json().await.map_err(|err| Attempt::Retry(format!("token body: {err}")))?;
        let value = body["access_token"].as_str().ok_or_else(|| Attempt::Retry("token: no access_token".into()))?;
        let lifetime = Duration::from_secs(body["expires_in"].as_u64().unwrap_or(3600));
        *slot =
            Some(Token { value: value.to_owned(), renew_at: Instant::now() + lifetime.saturating_sub(TOKEN_MARGIN) });
        Ok(value.to_owned())
    }

    /// One authorised request with the headers every MoMo call carries.
    async fn attempt(&self, product: Product, build: impl Fn(&Self) -> RequestBuilder) -> Attempt {
        let token = match self.token(product).await {
            Ok(token) => token,
            Err(attempt) => return attempt,
        };
        let sent = build(self)
            .bearer_auth(token)
            .header("X-Target-Environment", &self.config.target_environment)
            .header("Ocp-Apim-Subscription-Key", &self.credentials(product).subscription_key)
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_server_error() => {
                Attempt::Retry(format!("HTTP {}", response.status()))
            }
            Ok(response) if response.status() == StatusCode::UNAUTHORIZED => {
                // An expired or revoked token: buy a new one on the next attempt.
                *self.token_slot(product).lock().await = None;
                Attempt::Retry("HTTP 401 Unauthorized".into())
            }
            Ok(response) => Attempt::Answer(response),
            Err(err) if err.is_timeout() => Attempt::Retry(format!("no answer within {:?}", self.config.timeout)),
            Err(err) => Attempt::Retry(err.to_string()),
        }
    }

    /// `attempt` until an answer, with doubling pauses; `Unknown` when none came.
    async fn call(&self, product: Product, build: impl Fn(&Self) -> RequestBuilder) -> Result<Response, ProviderError> {
        let mut pause = self.config.retry_base;
        let mut last = String::new();
        for round in 0..self.config.attempts.max(1) {
            if round > 0 {
                tokio::time::sleep(pause).await;
                pause = pause.saturating_mul(2);
            }
            match self.attempt(product, &build).await {
                Attempt::Answer(response) => return Ok(response),
                Attempt::Retry(why) => last = why,
            }
        }
        Err(ProviderError::Unknown(format!("{} {}: {last}", product.name(), product.resource())))
    }

    async fn send(&self, product: Product, reference: &Reference, body: Value) -> Result<(), ProviderError> {
        let url = format!("{}/{}/v1_0/{}", self.config.base_url, product.name(), product.resource());
        let response = self
            .call(product, |me| {
                let request =
                    me.http.request(Method::POST, &url).header("X-Reference-Id", reference.as_str()).json(&body);
                match &me.config.callback_url {
                    Some(callback) => request.header("X-Callback-Url", callback),
                    None => request,
                }
            })
            .await?;
        match response.status() {
            status if status.is_success() => Ok(()),
            // This reference was taken by an earlier attempt whose answer was lost.
            StatusCode::CONFLICT => Ok(()),
            status => Err(ProviderError::Refused(refusal(status, response).await)),
        }
    }

    async fn status(&self, product: Product, reference: &Reference) -> Result<ProviderStatus, ProviderError> {
        let url = format!("{}/{}/v1_0/{}/{}", self.config.base_url, product.name(), product.resource(), reference);
        let response = self.call(product, |me| me.http.request(Method::GET, &url)).await?;
        match response.status() {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => return Err(ProviderError::NotFound(reference.to_string())),
            status => return Err(ProviderError::Refused(refusal(status, response).await)),
        }
        let body: Value = response.json().await.map_err(|err| ProviderError::Unknown(format!("status body: {err}")))?;
        read_status(&body)
    }
}

/// A 4xx answer as one line: MoMo's `{code, message}` when it sent one.
async fn refusal(status: StatusCode, response: Response) -> String {
    let text = response.text().await.unwrap_or_default();
    let detail = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|body| {
            body["code"].as_str().map(|code| format!("{code}: {}", body["message"].as_str().unwrap_or("")))
        })
        .unwrap_or_else(|| text.chars().take(200).collect());
    format!("HTTP {status}: {detail}")
}

/// The `status` of a requesttopay or transfer body. `reason` is a string in the current
/// API and a `{code, message}` object in older versions; both are read.
fn read_status(body: &Value) -> Result<ProviderStatus, ProviderError> {
    match body["status"].as_str() {
        Some("PENDING") => Ok(ProviderStatus::Pending),
        Some("SUCCESSFUL") => {
            let transaction_id = body["financialTransactionId"].as_str().map(str::to_owned);
            Ok(ProviderStatus::Successful { transaction_id })
        }
        Some("FAILED") => {
            let reason = match &body["reason"] {
                Value::String(reason) => reason.clone(),
                Value::Object(object) => object.get("code").and_then(Value::as_str).unwrap_or("FAILED").to_owned(),
                _ => "FAILED".to_owned(),
            };
            Ok(ProviderStatus::Failed { reason })
        }
        other => Err(ProviderError::Unknown(format!("unexpected status {other:?}"))),
    }
}

/// MoMo amounts are decimal strings in the currency's main unit. The marketplace keeps minor
/// units; currencies without one (RWF, UGX, XAF, XOF…) are sent whole.
pub(super) fn major_units(amount: Amount, currency: Currency) -> String {
    const WHOLE: [&str; 9] = ["RWF", "UGX", "XAF", "XOF", "BIF", "GNF", "KMF", "DJF", "JPY"];
    let minor = amount.minor_units();
    if WHOLE.contains(&currency.as_str()) {
        minor.to_string()
    } else {
        format!("{}.{:02}", minor / 100, minor % 100)
    }
}

fn party(phone: &Msisdn) -> Value {
    json!({ "partyIdType": "MSISDN", "partyId": phone.party_id() })
}

impl PaymentProvider for MomoProvider {
    fn request_to_pay<'a>(&'a self, reference: &'a Reference, c: &'a CollectionRequest) -> ProviderFuture<'a, ()> {
        let body = json!({
            "amount": major_units(c.amount, c.currency),
            "currency": c.currency.as_str(),
            "externalId": c.external_id,
            "payer": party(&c.payer),
            "payerMessage": c.message,
            "payeeNote": c.message,
        });
        Box::pin(self.send(Product::Collection, reference, body))
    }

    fn collection_status<'a>(&'a self, reference: &'a Reference) -> ProviderFuture<'a, ProviderStatus> {
        Box::pin(self.status(Product::Collection, reference))
    }

    fn transfer<'a>(&'a self, reference: &'a Reference, t: &'a TransferRequest) -> ProviderFuture<'a, ()> {
        let body = json!({
            "amount": major_units(t.amount, t.currency),
            "currency": t.currency.as_str(),
            "externalId": t.external_id,
            "payee": party(&t.payee),
            "payerMessage": t.message,
            "payeeNote": t.message,
        });
        Box::pin(self.send(Product::Disbursement, reference, body))
    }

    fn transfer_status<'a>(&'a self, reference: &'a Reference) -> ProviderFuture<'a, ProviderStatus> {
        Box::pin(self.status(Product::Disbursement, reference))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_major_units() {
        let amount = Amount::new(123_456, "amount").unwrap();
        assert_eq!(major_units(amount, Currency::RWF), "123456");
        assert_eq!(major_units(amount, "EUR".parse().unwrap()), "1234.56");
    }

    #[test]
    fn statuses_read_both_reason_shapes() {
        assert_eq!(read_status(&json!({"status": "PENDING"})), Ok(ProviderStatus::Pending));
        assert_eq!(
            read_status(&json!({"status": "SUCCESSFUL", "financialTransactionId": "42"})),
            Ok(ProviderStatus::Successful { transaction_id: Some("42".into()) })
        );
        assert_eq!(
            read_status(&json!({"status": "FAILED", "reason": "NOT_ENOUGH_FUNDS"})),
            Ok(ProviderStatus::Failed { reason: "NOT_ENOUGH_FUNDS".into() })
        );
        assert_eq!(
            read_status(&json!({"status": "FAILED", "reason": {"code": "APPROVAL_REJECTED", "message": "no"}})),
            Ok(ProviderStatus::Failed { reason: "APPROVAL_REJECTED".into() })
        );
        assert!(matches!(read_status(&json!({"status": "WEIRD"})), Err(ProviderError::Unknown(_))));
    }
}
