//! `POST /register`: sign-up as it arrives and its validation (moved out of `mod.rs`, which
//! outgrew the 400-line limit when orders gained their payment fields).

use serde::Deserialize;
use utoipa::ToSchema;

use super::{schema, LABEL_MAX, NAME_MAX};
use crate::domain::{Email, Label, Password, Role};
use crate::error::{Error, Result};

/// `POST /register`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// ASCII (a look-alike letter from another alphabet is refused), one `@`, a dotted domain.
    #[schema(schema_with = schema::email)]
    pub email: String,
    #[schema(min_length = 8, max_length = 256)]
    pub password: String,
    #[schema(schema_with = schema::label::<100>)]
    pub name: String,
    /// `buyer` or `seller`; admins are created from the CLI.
    #[schema(schema_with = self_service_role)]
    pub role: String,
    #[schema(schema_with = schema::optional_label::<32>)]
    pub phone: Option<String>,
    #[schema(schema_with = schema::optional_label::<100>)]
    pub location: Option<String>,
}

/// The roles `POST /register` takes.
fn self_service_role() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some([Role::Buyer.as_str(), Role::Seller.as_str()]))
        .description(Some("`buyer` or `seller`; admins are created from the CLI."))
        .build()
}

/// A registration that passed every check; the password is not hashed yet.
#[derive(Debug, Clone)]
pub struct ValidRegistration {
    pub email: Email,
    pub password: Password,
    pub name: Label,
    pub role: Role,
    pub phone: Option<Label>,
    pub location: Option<Label>,
}

impl Registration {
    /// Validates for self-service sign-up, which never makes an admin.
    pub fn validate(self) -> Result<ValidRegistration> {
        let role: Role = self.role.parse::<Role>()?.not_driver()?;
        if role == Role::Admin {
            return Err(Error::invalid("role", "admins are created with `gasstock users create-admin`"));
        }
        self.validate_any_role(role)
    }

    pub(crate) fn validate_any_role(self, role: Role) -> Result<ValidRegistration> {
        Ok(ValidRegistration {
            email: self.email.parse()?,
            password: Password::new(self.password)?,
            name: Label::parse(&self.name, "name", NAME_MAX)?,
            role,
            phone: Label::parse_optional(self.phone.as_deref(), "phone", 32)?,
            location: Label::parse_optional(self.location.as_deref(), "location", LABEL_MAX)?,
        })
    }
}
