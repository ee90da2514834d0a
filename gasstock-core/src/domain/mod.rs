//! Validated domain types: each one cannot hold a bad value.

mod cylinder_status;
mod district;
mod duration;
mod email;
mod handover;
mod money;
mod password;
mod payment_status;
mod phone;
mod quantity;
mod rating;
mod role;
mod status;
mod status_change;
mod string_enum;
mod text;
mod throttle;
mod webhook_target;
mod weight;

pub use cylinder_status::{AdjustmentReason, OrderKind, StockAlert};
pub use district::{distance_km, parse_district, District, DISTRICTS};
pub use duration::{format_duration, parse_duration};
pub use email::Email;
pub use handover::{buyer_message, code_in_message, code_matches, parse_code, HandoverCode, MAX_WRONG_CODES};
pub use money::{Amount, Currency};
pub use password::{dummy_hash, hash_password, verify_password, Password};
pub use payment_status::PaymentMethod;
pub use phone::Msisdn;
pub use quantity::{Quantity, StockLevel};
pub use rating::Rating;
pub use role::Role;
pub use status::{
    is_legal_order_path, CollectionStatus, InvoiceStatus, MovementReason, OrderStatus, OrderTransition, PaymentStatus,
    PayoutStatus, ReturnStatus, WebhookDeliveryStatus,
};
pub use status_change::StatusChange;
pub use text::{parse_note, Label};
pub use throttle::{retry_after_secs, Backoff, Counter, Verdict};
pub use webhook_target::{check_address, classify, mask_url_credentials, AddressKind, AddressRefused, WebhookTarget};
pub use weight::WeightKg;
