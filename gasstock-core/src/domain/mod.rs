//! Validated domain types: each one cannot hold a bad value.

mod district;
mod duration;
mod email;
mod handover;
mod money;
mod password;
mod quantity;
mod rating;
mod role;
mod status;
mod text;
mod throttle;
mod webhook_target;
mod weight;

pub use district::{distance_km, parse_district, District, DISTRICTS};
pub use duration::{format_duration, parse_duration};
pub use email::Email;
pub use handover::{buyer_message, code_in_message, code_matches, parse_code, HandoverCode, MAX_WRONG_CODES};
pub use money::{Amount, Currency};
pub use password::{dummy_hash, hash_password, verify_password, Password};
pub use quantity::{Quantity, StockLevel};
pub use rating::Rating;
pub use role::Role;
pub use status::{
    is_legal_order_path, InvoiceStatus, OrderStatus, OrderTransition, PaymentStatus, StatusChange,
    WebhookDeliveryStatus,
};
pub use text::{parse_note, Label};
pub use throttle::{retry_after_secs, Backoff, Counter, Verdict};
pub use webhook_target::{check_address, classify, mask_url_credentials, AddressKind, AddressRefused, WebhookTarget};
pub use weight::WeightKg;
