//! The sandbox's memory: scripts, issued tokens, the requests it took, its counters.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Value};

use crate::behaviour::{Behaviour, Outcome};
use crate::SandboxConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Product {
    Collection,
    Disbursement,
}

impl Product {
    pub(crate) fn parse(name: &str) -> Option<Product> {
        match name {
            "collection" => Some(Product::Collection),
            "disbursement" => Some(Product::Disbursement),
            _ => None,
        }
    }

    pub(crate) fn resource(self) -> &'static str {
        match self {
            Product::Collection => "requesttopay",
            Product::Disbursement => "transfer",
        }
    }

    pub(crate) fn party_field(self) -> &'static str {
        match self {
            Product::Collection => "payer",
            Product::Disbursement => "payee",
        }
    }
}

/// Counters since the sandbox started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Distinct request-to-pay references taken.
    pub collections: u64,
    /// Distinct transfer references taken: money sent to payees.
    pub transfers: u64,
    /// Every POST …/requesttopay received, taken or not (500s, duplicates included).
    pub collection_posts: u64,
    /// Every POST …/transfer received.
    pub transfer_posts: u64,
    pub status_reads: u64,
    pub tokens_issued: u64,
    pub callbacks_sent: u64,
}

/// One request the sandbox took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TakenRequest {
    /// `requesttopay` or `transfer`.
    pub kind: String,
    pub reference: String,
    pub party_id: String,
    pub amount: String,
    pub currency: String,
    pub external_id: String,
}

#[derive(Debug)]
struct Taken {
    product: Product,
    body: Value,
    party_id: String,
    taken_at: Instant,
    behaviour: Behaviour,
}

#[derive(Debug)]
struct Script {
    behaviour: Behaviour,
    errors_left: u32,
    hangs_left: u32,
    /// Scripted for this party (kept when the default changes), not copied from the default.
    explicit: bool,
}

impl Script {
    fn new(behaviour: Behaviour, explicit: bool) -> Script {
        Script { errors_left: behaviour.errors_first, hangs_left: behaviour.hang_first, behaviour, explicit }
    }
}

/// What to answer a POST.
#[derive(Debug)]
pub(crate) enum Decision {
    /// `500`, not taken.
    Error,
    /// `409`: this reference was taken before.
    Duplicate,
    /// `202`, after `hang` when set; the behaviour says what follows.
    Taken { hang: Option<Duration>, behaviour: Behaviour },
}

#[derive(Debug, Default)]
struct Inner {
    scripts: HashMap<String, Script>,
    tokens: HashMap<String, (Product, Instant)>,
    taken: HashMap<(Product, String), Taken>,
    order: Vec<(Product, String)>,
    stats: Stats,
}

#[derive(Debug)]
pub(crate) struct Shared {
    config: Mutex<SandboxConfig>,
    inner: Mutex<Inner>,
    pub(crate) http: reqwest::Client,
}

impl Shared {
    pub(crate) fn new(config: SandboxConfig) -> Shared {
        Shared { config: Mutex::new(config), inner: Mutex::default(), http: reqwest::Client::new() }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere cannot leave these maps half-written: each change is one insert.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn config(&self) -> SandboxConfig {
        self.config.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    pub(crate) fn set_default(&self, behaviour: Behaviour) {
        self.config.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).default = behaviour;
        self.inner().scripts.retain(|_, script| script.explicit);
    }

    pub(crate) fn script(&self, party_id: &str, behaviour: Behaviour) {
        self.inner().scripts.insert(party_id.to_owned(), Script::new(behaviour, true));
    }

    pub(crate) fn stats(&self) -> Stats {
        self.inner().stats.clone()
    }

    pub(crate) fn taken(&self) -> Vec<TakenRequest> {
        let inner = self.inner();
        inner
            .order
            .iter()
            .filter_map(|key| inner.taken.get(key).map(|taken| (key, taken)))
            .map(|((product, reference), taken)| TakenRequest {
                kind: product.resource().to_owned(),
                reference: reference.clone(),
                party_id: taken.party_id.clone(),
                amount: taken.body["amount"].as_str().unwrap_or_default().to_owned(),
                currency: taken.body["currency"].as_str().unwrap_or_default().to_owned(),
                external_id: taken.body["externalId"].as_str().unwrap_or_default().to_owned(),
            })
            .collect()
    }

    pub(crate) fn issue_token(&self, product: Product) -> (String, u64) {
        let lifetime = self.config().token_lifetime_secs;
        let token = uuid::Uuid::new_v4().simple().to_string();
        let mut inner = self.inner();
        inner.tokens.insert(token.clone(), (product, Instant::now() + Duration::from_secs(lifetime)));
        inner.stats.tokens_issued += 1;
        (token, lifetime)
    }

    pub(crate) fn token_valid(&self, token: &str, product: Product) -> bool {
        matches!(self.inner().tokens.get(token), Some((p, until)) if *p == product && Instant::now() < *until)
    }

    /// Records a POST and decides its answer, all under one lock (concurrent duplicates of
    /// one reference: exactly one is taken).
    pub(crate) fn take(&self, product: Product, reference: &str, party_id: &str, body: Value) -> Decision {
        let default = self.config().default;
        let mut inner = self.inner();
        match product {
            Product::Collection => inner.stats.collection_posts += 1,
            Product::Disbursement => inner.stats.transfer_posts += 1,
        }
        let script = inner.scripts.entry(party_id.to_owned()).or_insert_with(|| Script::new(default, false));
        if script.errors_left > 0 {
            script.errors_left -= 1;
            return Decision::Error;
        }
        let key = (product, reference.to_owned());
        if inner.taken.contains_key(&key) {
            return Decision::Duplicate;
        }
        let script = inner.scripts.get_mut(party_id).expect("inserted above");
        let behaviour = script.behaviour.clone();
        let hang = (script.hangs_left > 0).then(|| {
            script.hangs_left -= 1;
            Duration::from_millis(behaviour.hang_ms)
        });
        let taken = Taken {
            product,
            body,
            party_id: party_id.to_owned(),
            taken_at: Instant::now(),
            behaviour: behaviour.clone(),
        };
        inner.taken.insert(key.clone(), taken);
        inner.order.push(key);
        match product {
            Product::Collection => inner.stats.collections += 1,
            Product::Disbursement => inner.stats.transfers += 1,
        }
        Decision::Taken { hang, behaviour }
    }

    /// The status body of a taken request (what a GET and a callback carry), or `None`.
    pub(crate) fn status(&self, product: Product, reference: &str, count_read: bool) -> Option<Value> {
        let mut inner = self.inner();
        if count_read {
            inner.stats.status_reads += 1;
        }
        let taken = inner.taken.get(&(product, reference.to_owned()))?;
        let settled = taken.taken_at.elapsed() >= Duration::from_millis(taken.behaviour.settle_after_ms);
        let mut body = taken.body.clone();
        let outcome = if settled { taken.behaviour.outcome } else { Outcome::Pending };
        body["status"] = json!(match outcome {
            Outcome::Successful => "SUCCESSFUL",
            Outcome::Failed => "FAILED",
            Outcome::Pending => "PENDING",
        });
        match outcome {
            Outcome::Successful => body["financialTransactionId"] = json!(financial_id(reference)),
            Outcome::Failed => body["reason"] = json!(taken.behaviour.reason),
            Outcome::Pending => {}
        }
        debug_assert_eq!(taken.product, product);
        Some(body)
    }

    pub(crate) fn callback_sent(&self) {
        self.inner().stats.callbacks_sent += 1;
    }
}

/// A stable, digits-only transaction id derived from the reference.
fn financial_id(reference: &str) -> String {
    let digits: String = reference.bytes().map(|b| char::from(b'0' + b % 10)).take(9).collect();
    format!("1{digits}")
}
