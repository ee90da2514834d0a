//! Who a user is to the system.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Buyer,
    Seller,
    Admin,
    /// Delivers a seller's orders (issue 13); belongs to one seller.
    Driver,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Buyer => "buyer",
            Role::Seller => "seller",
            Role::Admin => "admin",
            Role::Driver => "driver",
        }
    }
}

impl Role {
    /// The role for self-service sign-up, which never makes a driver: their seller does.
    pub fn not_driver(self) -> Result<Role, Error> {
        if self == Role::Driver {
            return Err(Error::invalid("role", "drivers are created by their seller (POST /api/v1/seller/drivers)"));
        }
        Ok(self)
    }
}

impl FromStr for Role {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "buyer" => Ok(Role::Buyer),
            "seller" => Ok(Role::Seller),
            "admin" => Ok(Role::Admin),
            "driver" => Ok(Role::Driver),
            other => {
                Err(Error::invalid("role", format!("'{other}' is not a role: use buyer, seller, admin or driver")))
            }
        }
    }
}

impl TryFrom<String> for Role {
    type Error = Error;

    fn try_from(value: String) -> Result<Self, Error> {
        value.parse()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
