//! `Gasstock-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
//! The timestamp is signed with the body, so a receiver can refuse replays of old requests.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "Gasstock-Signature";

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value for `body` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", hex::encode(mac(secret, timestamp, body).finalize().into_bytes()))
}

/// What a receiver does: checks the signature in constant time and that the timestamp is
/// within `tolerance_secs` of `now`.
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64, tolerance_secs: i64) -> bool {
    let mut timestamp = None;
    let mut signature = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => signature = hex::decode(v).ok(),
            _ => {}
        }
    }
    match (timestamp, signature) {
        (Some(t), Some(sig)) if (now - t).abs() <= tolerance_secs => mac(secret, t, body).verify_slice(&sig).is_ok(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tampering() {
        let header = sign("whsec_x", 1_700_000_000, b"{\"a\":1}");
        assert!(header.starts_with("t=1700000000,v1="));
        assert!(verify("whsec_x", &header, b"{\"a\":1}", 1_700_000_010, 300));
        assert!(!verify("whsec_y", &header, b"{\"a\":1}", 1_700_000_010, 300), "wrong secret");
        assert!(!verify("whsec_x", &header, b"{\"a\":2}", 1_700_000_010, 300), "tampered body");
        assert!(!verify("whsec_x", &header, b"{\"a\":1}", 1_700_009_999, 300), "replayed late");
        assert!(!verify("whsec_x", "t=1,v1=zz", b"", 1, 300));
    }
}
