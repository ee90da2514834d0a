//! The OpenAPI schemas of the text fields, written from the same rules the validation applies,
//! so that the document accepts exactly what the server accepts: a generator working from it
//! (schemathesis) finds neither a valid-looking value refused nor an invalid one taken.
//!
//! The rules: text is trimmed of Unicode white space (Rust's `str::trim`); a label is then
//! non-empty, at most `max` characters, without control characters; a note may be empty
//! (none) and keeps line breaks and tabs inside. The patterns spell this out character class
//! by character class (JSON Schema counts `maxLength` before trimming, so the bounds are in
//! the patterns' quantifiers).

use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::openapi::Object;

/// Unicode White_Space, what `str::trim` removes.
const WS: &str = r"\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// Neither white space nor a control character (general category Cc).
const SOLID: &str = r"[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";
/// Not a control character.
const NOT_CONTROL: &str = r"[^\u0000-\u001f\u007f-\u009f]";
/// Not a control character other than a line break or a tab.
const NOT_CONTROL_IN_NOTE: &str = r"[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]";

fn trimmed(inner_class: &str, max: usize, optional: bool) -> String {
    let content = format!("{SOLID}(?:{inner_class}{{0,{}}}{SOLID})?", max.saturating_sub(2));
    let content = if optional { format!("(?:{content})?") } else { content };
    format!("^[{WS}]*{content}[{WS}]*$")
}

fn string(pattern: String, nullable: bool, description: &str) -> Object {
    let schema_type = if nullable { SchemaType::from_iter([Type::String, Type::Null]) } else { Type::String.into() };
    ObjectBuilder::new()
        .schema_type(schema_type)
        .pattern(Some(pattern))
        .description(Some(description.to_owned()))
        .build()
}

/// A mobile-money number as `domain::Msisdn` reads it: E.164 (`+`, 8 to 15 digits, no leading
/// 0; a Rwandan `+250` number is `+2507` and eight more digits), or Rwandan without `+`
/// (`07…`, `2507…`); a single space, dash or dot may separate digits; blanks around are trimmed.
fn msisdn_pattern() -> String {
    let d = |n: &str| format!("(?:[ .-]?[0-9]){n}");
    let s = "[ .-]?";
    let branches = [
        format!("\\+?2{s}5{s}0{s}7{}", d("{8}")),
        format!("0{s}7{}", d("{8}")),
        format!("\\+[13-9]{}", d("{7,14}")),
        format!("\\+2{s}[0-46-9]{}", d("{6,13}")),
        format!("\\+2{s}5{s}[1-9]{}", d("{5,12}")),
    ];
    format!("^[{WS}]*(?:{})[{WS}]*$", branches.join("|"))
}

/// A mobile-money number (MSISDN); `nullable`: `null` is allowed too.
pub fn msisdn(nullable: bool) -> Object {
    string(
        msisdn_pattern(),
        nullable,
        "A mobile-money number: +250788123456, 0788123456, or E.164 (+ and 8 to 15 digits).",
    )
}

/// `#[schema(schema_with = schema::optional_msisdn)]`.
pub fn optional_msisdn() -> Object {
    msisdn(true)
}

/// A required label of at most `MAX` characters.
pub fn label<const MAX: usize>() -> Object {
    let description = format!("1 to {MAX} characters once trimmed, no control characters.");
    string(trimmed(NOT_CONTROL, MAX, false), false, &description)
}

/// An optional label (blank is none).
pub fn optional_label<const MAX: usize>() -> Object {
    let description = format!("At most {MAX} characters once trimmed, no control characters; blank is none.");
    string(trimmed(NOT_CONTROL, MAX, true), true, &description)
}

/// An optional note: line breaks and tabs allowed, blank is none.
pub fn note<const MAX: usize>() -> Object {
    let description = format!(
        "At most {MAX} characters once trimmed; no control characters but line breaks and tabs; blank is none."
    );
    string(trimmed(NOT_CONTROL_IN_NOTE, MAX, true), true, &description)
}

/// An email address as `Email` takes it: ASCII, one `@`, a domain of two labels or more
/// that neither start nor end with `-`.
pub fn email() -> Object {
    let local = r"[\x21-\x3f\x41-\x7e]+";
    let label = r"[\x21-\x2c\x2f-\x3f\x41-\x7e](?:[\x21-\x2d\x2f-\x3f\x41-\x7e]*[\x21-\x2c\x2f-\x3f\x41-\x7e])?";
    let pattern = format!("^[{WS}]*{local}@{label}(?:\\.{label})+[{WS}]*$");
    let mut schema = string(pattern, false, "An email address (ASCII; case does not matter).");
    schema.max_length = Some(crate::domain::Email::MAX_LEN);
    schema
}

/// A weight as text: `12`, `12.5kg`, `12.5 KG`; more than 0 and at most 1000 kg, to the gram.
pub fn weight_text(nullable: bool) -> Object {
    // Whole kilograms (at most 7 digits, leading zeros included) and up to 3 decimals.
    let one_to_999 = r"(?:0{0,6}[1-9]|0{0,5}[1-9][0-9]|0{0,4}[1-9][0-9]{2})(?:\.[0-9]{1,3})?";
    let thousand = r"0{0,3}1000(?:\.0{1,3})?";
    let under_one = r"0{1,7}\.(?:[1-9][0-9]{0,2}|0[1-9][0-9]?|00[1-9])";
    let pattern = format!("^[{WS}]*(?:{one_to_999}|{thousand}|{under_one})(?:[{WS}]*[kK][gG])?[{WS}]*$");
    string(pattern, nullable, "Kilograms: `12`, `12.5`, `12kg`, `12.5 KG`; more than 0, at most 1000, to the gram.")
}

/// A weight in a body: a number of kilograms from 0.001 to 1000 (rounded to the gram), or text.
pub fn weight() -> utoipa::openapi::Schema {
    let number = ObjectBuilder::new()
        .schema_type(Type::Number)
        .minimum(Some(0.001))
        .maximum(Some(1000))
        .description(Some("Kilograms, rounded to the gram."))
        .build();
    utoipa::openapi::Schema::OneOf(
        utoipa::openapi::schema::OneOfBuilder::new().item(number).item(weight_text(false)).build(),
    )
}

/// A weight filter: blank is none.
pub fn weight_filter() -> Object {
    let mut schema = weight_text(true);
    if let Some(pattern) = schema.pattern.as_mut() {
        *pattern = format!("(?:{pattern})|^[{WS}]*$");
    }
    schema
}

/// An ISO 4217 code, any case; blank or absent is `RWF`.
pub fn currency() -> Object {
    string(format!("^[{WS}]*(?:[A-Za-z]{{3}})?[{WS}]*$"), true, "ISO 4217, any case; default `RWF`.")
}

/// Names in any ASCII case, each letter as a two-letter class (JSON Schema has no
/// case-insensitive flag), between optional white space: what `parse_district` and the
/// browse sort take.
fn any_case(names: &[&str], optional: bool) -> String {
    let names: Vec<String> = names
        .iter()
        .map(|name| name.chars().map(|c| format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase())).collect())
        .collect();
    let content = format!("(?:{})", names.join("|"));
    let content = if optional { format!("(?:{content})?") } else { content };
    format!("^[{WS}]*{content}[{WS}]*$")
}

fn district_names() -> Vec<&'static str> {
    crate::domain::DISTRICTS.iter().map(|d| d.name).collect()
}

/// One of the 30 districts of Rwanda, any case.
pub fn district() -> Object {
    string(any_case(&district_names(), false), false, "One of the 30 districts of Rwanda, in any case, e.g. Huye.")
}

/// An optional district (blank is none).
pub fn optional_district() -> Object {
    string(any_case(&district_names(), true), true, "One of the 30 districts of Rwanda, in any case; blank is none.")
}

/// `GET /gas?sort=`: `price`, `distance` or `rating`, any case; blank is the default.
pub fn browse_sort() -> Object {
    string(any_case(&["price", "distance", "rating"], true), true, "price, distance (needs near) or rating; any case.")
}

/// The roles `POST /register` takes.
pub fn self_service_role() -> Object {
    use crate::domain::Role;
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some([Role::Buyer.as_str(), Role::Seller.as_str()]))
        .description(Some("`buyer` or `seller`; admins are created from the CLI."))
        .build()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::{Email, Label, WeightKg};

    /// Strings drawn from a pattern (its `^`/`$` anchors dropped: the whole string is drawn).
    fn drawn_from(object: &Object) -> impl Strategy<Value = String> {
        let pattern = object.pattern.clone().unwrap();
        let unanchored = pattern.strip_prefix('^').and_then(|p| p.strip_suffix('$')).expect("an anchored pattern");
        proptest::string::string_regex(unanchored).expect("a pattern proptest can draw from")
    }

    proptest! {
        /// Whatever the document calls valid, the validation takes (the direction a client
        /// relies on; schemathesis in CI checks both directions against the server).
        #[test]
        fn what_the_patterns_allow_is_accepted(
            label in drawn_from(&label::<100>()),
            optional in drawn_from(&optional_label::<32>()),
            note_text in drawn_from(&note::<500>()),
            email_text in drawn_from(&email()),
            weight in drawn_from(&weight_text(false)),
        ) {
            prop_assert!(Label::parse(&label, "f", 100).is_ok(), "{:?}", label);
            prop_assert!(Label::parse_optional(Some(&optional), "f", 32).is_ok(), "{:?}", optional);
            prop_assert!(crate::domain::parse_note(Some(&note_text), "f", 500).is_ok(), "{:?}", note_text);
            // A schema-valid email also keeps to the schema's maxLength.
            if email_text.chars().count() <= Email::MAX_LEN {
                prop_assert!(email_text.parse::<Email>().is_ok(), "{:?}", email_text);
            }
            prop_assert!(WeightKg::parse_field(&weight, "w").is_ok(), "{:?}", weight);
        }
    }
}
