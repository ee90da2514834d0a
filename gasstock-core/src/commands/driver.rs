//! Requests of the delivery workflow (issue 13): a seller's new driver, a dispatch, a
//! driver's handover code or failure reason, checked.

use serde::Deserialize;
use utoipa::ToSchema;

use super::{number, schema, Registration, ValidRegistration, NOTE_MAX};
use crate::domain::{parse_code, Label, Role};
use crate::error::Result;

/// `POST /seller/drivers`: a driver account for the calling seller.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DriverInput {
    /// ASCII, one `@`, a dotted domain (as for `POST /register`).
    #[schema(schema_with = schema::email)]
    pub email: String,
    #[schema(min_length = 8, max_length = 256)]
    pub password: String,
    #[schema(schema_with = schema::label::<100>)]
    pub name: String,
    #[schema(schema_with = schema::optional_label::<32>)]
    pub phone: Option<String>,
}

impl DriverInput {
    pub fn validate(&self) -> Result<ValidRegistration> {
        let registration = Registration {
            email: self.email.clone(),
            password: self.password.clone(),
            name: self.name.clone(),
            role: Role::Driver.as_str().to_owned(),
            phone: self.phone.clone(),
            location: None,
        };
        registration.validate_any_role(Role::Driver)
    }
}

/// `POST /seller/orders/{id}/dispatch`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchInput {
    /// One of the seller's enabled drivers.
    #[serde(deserialize_with = "number::whole")]
    #[schema(minimum = 1)]
    pub driver_id: i64,
}

/// `POST /driver/deliveries/{id}/complete`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteInput {
    /// The buyer's six-digit handover code.
    #[schema(example = "042137", pattern = "^[0-9]{6}$")]
    pub code: String,
    /// Empty cylinders the buyer handed over, 0 to the order's quantity; default: all of them
    /// for a refill, none for a new-cylinder sale (which takes none).
    #[serde(default, deserialize_with = "number::optional_whole")]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub empties_received: Option<i64>,
}

impl CompleteInput {
    pub fn code(&self) -> Result<String> {
        parse_code(&self.code)
    }
}

/// `POST /driver/deliveries/{id}/fail`, and the seller's or an admin's cancellation of a
/// failed delivery.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FailInput {
    /// Why: required, one line (no control characters), up to 2,000 characters once trimmed.
    #[schema(schema_with = schema::label::<2000>)]
    pub reason: String,
}

impl FailInput {
    pub fn reason(&self) -> Result<String> {
        Ok(Label::parse(&self.reason, "reason", NOTE_MAX)?.into_string())
    }
}
