//! The lowercase string enums of the domain (statuses, kinds, reasons): stored as TEXT, shown
//! as JSON strings, parsed with an error that lists the valid values.

use crate::error::Error;

/// The error for `text`, which is none of `valid`.
pub(super) fn unknown(kind: &str, text: &str, valid: impl Iterator<Item = &'static str>) -> Error {
    let valid: Vec<&str> = valid.collect();
    Error::invalid("status", format!("'{text}' is not a valid {kind}: use one of {}", valid.join(", ")))
}

/// Declares a lowercase string enum stored as TEXT and shown as a JSON string.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::error::Error;

            fn from_str(s: &str) -> Result<Self, $crate::error::Error> {
                let found = Self::ALL.iter().copied().find(|v| v.as_str() == s);
                found.ok_or_else(|| $crate::domain::string_enum::unknown(stringify!($name), s, Self::ALL.iter().map(|v| v.as_str())))
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::error::Error;

            fn try_from(value: String) -> Result<Self, $crate::error::Error> {
                value.parse()
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use string_enum;
