//! The handover code of a dispatched delivery: six random digits the buyer gives the driver
//! when the cylinders change hands. Only a salted HMAC-SHA256 of it is kept for checking
//! (compared in constant time); the code itself reaches the buyer alone, in their
//! notification of the dispatch.

use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

use crate::error::Error;

/// Wrong codes a delivery accepts before it locks until the seller re-dispatches it.
pub const MAX_WRONG_CODES: i64 = 5;

/// A fresh code and what is stored to check it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoverCode {
    /// The six digits, shown to the buyer only.
    pub code: String,
    /// Random per dispatch, hex.
    pub salt: String,
    /// HMAC-SHA256(salt, code), hex.
    pub hash: String,
}

impl HandoverCode {
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let code = format!("{:06}", rng.random_range(0..1_000_000u32));
        let salt = hex::encode(rng.random::<[u8; 16]>());
        let hash = hex::encode(mac(&salt, &code).finalize().into_bytes());
        HandoverCode { code, salt, hash }
    }
}

fn mac(salt: &str, code: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(salt.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(code.as_bytes());
    mac
}

/// Whether `code` is the one stored as (`salt`, `hash`). `verify_slice` compares in
/// constant time, so the answer's timing says nothing about how close a guess was.
pub fn code_matches(code: &str, salt: &str, hash: &str) -> bool {
    let Ok(expected) = hex::decode(hash) else { return false };
    mac(salt, code.trim()).verify_slice(&expected).is_ok()
}

/// A code as a driver types it: exactly six ASCII digits (spaces around are ignored).
pub fn parse_code(code: &str) -> Result<String, Error> {
    let code = code.trim();
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code.to_owned())
    } else {
        Err(Error::invalid("code", "the handover code is six digits"))
    }
}

/// The buyer's notification text that carries the code; [`code_in_message`] reads it back
/// for the buyer's view of the order.
pub fn buyer_message(order_id: i64, code: &str) -> String {
    format!("Order #{order_id} is on its way. Handover code: {code}. Give it to the driver only once you hold the cylinders.")
}

/// The code in a message written by [`buyer_message`].
pub fn code_in_message(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("Handover code: ")?;
    let code = rest.get(..6)?;
    parse_code(code).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_itself_only() {
        let fresh = HandoverCode::generate();
        assert_eq!(fresh.code.len(), 6);
        assert!(code_matches(&fresh.code, &fresh.salt, &fresh.hash));
        let other = format!("{:06}", (fresh.code.parse::<u32>().unwrap() + 1) % 1_000_000);
        assert!(!code_matches(&other, &fresh.salt, &fresh.hash));
        assert!(!code_matches(&fresh.code, "another salt", &fresh.hash));
        assert!(!fresh.hash.contains(&fresh.code) || fresh.hash.len() == 64);
    }

    #[test]
    fn codes_are_six_digits() {
        assert_eq!(parse_code(" 012345 ").unwrap(), "012345");
        for bad in ["12345", "1234567", "12a456", "", "１２３４５６"] {
            assert!(parse_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_buyer_message_carries_the_code() {
        assert_eq!(code_in_message(&buyer_message(7, "004200")).as_deref(), Some("004200"));
        assert_eq!(code_in_message("Order #7 was delivered."), None);
    }
}
