//! `gasstock momo-sandbox`: the demo sandbox runs as a real process, prints the settings that
//! point gasstock at it, and serves the MoMo adapter over HTTP.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use gasstock_core::domain::{Amount, Currency};
use gasstock_core::payments::{
    CollectionRequest, MomoConfig, MomoProvider, PaymentProvider, ProviderStatus, Reference,
};

use crate::harness::gasstock_bin;

/// Kills the sandbox process this test started, even when an assertion fails.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_sandbox_command_prints_its_settings_and_serves_the_adapter() {
    let mut child = Child(
        Command::new(gasstock_bin())
            .args(["momo-sandbox", "--bind", "127.0.0.1:0", "--outcome", "failed", "--reason", "PAYER_NOT_FOUND"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gasstock momo-sandbox"),
    );
    let mut env = HashMap::new();
    for line in BufReader::new(child.0.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some((name, value)) = line.strip_prefix("export ").and_then(|pair| pair.split_once('=')) {
            env.insert(name.to_owned(), value.to_owned());
        }
        if env.len() == 6 {
            break;
        }
    }
    let config = MomoConfig::from_lookup(|name| env.get(name).cloned()).unwrap().expect("printed settings");
    let provider = MomoProvider::new(config).unwrap();
    let reference = Reference::new();
    let collection = CollectionRequest {
        amount: Amount::new(12_000, "amount").unwrap(),
        currency: Currency::RWF,
        payer: "0788123456".parse().unwrap(),
        external_id: "order-1".into(),
        message: "demo".into(),
    };
    provider.request_to_pay(&reference, &collection).await.unwrap();
    assert_eq!(
        provider.collection_status(&reference).await.unwrap(),
        ProviderStatus::Failed { reason: "PAYER_NOT_FOUND".into() }
    );
    let stats: serde_json::Value =
        reqwest::get(format!("{}/sandbox/stats", env["GASSTOCK_MOMO_BASE_URL"])).await.unwrap().json().await.unwrap();
    assert_eq!(stats["collections"], 1);
}

#[test]
fn bad_sandbox_flags_are_usage_errors() {
    for args in [["--settle-after", "5"], ["--bind", "not-an-address"]] {
        let output = Command::new(gasstock_bin()).arg("momo-sandbox").args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(stderr.contains(args[0]) || stderr.contains("5"), "{stderr}");
    }
}
