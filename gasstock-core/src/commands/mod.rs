//! Requests as users send them (raw fields, as the HTTP bodies, CLI flags and CSV rows carry
//! them) and their validated forms. Validation lives here once; the server and CLI only parse.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::{
    parse_note, Amount, Currency, Label, Msisdn, OrderKind, OrderStatus, PaymentMethod, Quantity, Rating, WeightKg,
};
use crate::error::{Error, Result};

pub mod browse;
mod cylinders;
pub mod driver;
pub mod number;
mod registration;
mod report;
pub mod schema;
mod stock;
mod webhook;
pub mod zones;

pub use cylinders::{
    count_field, AdjustmentDraft, AdjustmentInput, RefillInput, ReturnDecision, ReturnDraft, ReturnInput,
    ReturnSettlement,
};
pub use registration::{Registration, ValidRegistration};
pub use report::{low_stock_threshold, parse_day, SalesGrouping, SalesQuery};
pub use stock::{StockItemDraft, StockItemInput};
pub use webhook::validate_subscription;

const NAME_MAX: usize = 100;
const LABEL_MAX: usize = 100;
const NOTE_MAX: usize = 2000;

/// A weight as users write it: a JSON number (`12.5`) or a string (`"12.5 kg"`).
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum WeightInput {
    #[schema(value_type = f64)]
    Kg(serde_json::Number),
    Text(String),
}

impl WeightInput {
    /// A number is kilograms from 0.001 to 1000, rounded to the gram; text is parsed as
    /// `WeightKg` does (at most three decimals).
    pub fn parse(&self) -> Result<WeightKg> {
        match self {
            WeightInput::Kg(n) => match n.as_f64() {
                Some(kg) if (0.001..=1000.0).contains(&kg) => WeightKg::from_grams((kg * 1000.0).round() as i64),
                _ => Err(Error::invalid("weight", format!("{n} kg is not a weight from 0.001 to 1000 kg"))),
            },
            WeightInput::Text(s) => WeightKg::parse_field(s, "weight"),
        }
    }
}

impl From<&str> for WeightInput {
    fn from(value: &str) -> Self {
        WeightInput::Text(value.to_owned())
    }
}

/// `GET /gas` filters, all optional and case-insensitive.
#[derive(Debug, Clone, Default)]
pub struct StockQuery {
    pub brand: Option<String>,
    pub weight: Option<String>,
    pub location: Option<String>,
}

/// Validated browse filters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StockFilter {
    pub brand: Option<String>,
    pub weight: Option<WeightKg>,
    pub location: Option<String>,
    pub seller_id: Option<i64>,
    /// Browsing shows only items with quantity > 0; a seller's own list shows all.
    pub in_stock_only: bool,
}

impl StockQuery {
    pub fn validate(&self) -> Result<StockFilter> {
        let text = |v: &Option<String>, field| -> Result<Option<String>> {
            Ok(Label::parse_optional(v.as_deref(), field, LABEL_MAX)?.map(Label::into_string))
        };
        Ok(StockFilter {
            brand: text(&self.brand, "brand")?,
            weight: match self.weight.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(w) => Some(WeightKg::parse_field(w, "weight")?),
            },
            location: text(&self.location, "location")?,
            seller_id: None,
            in_stock_only: true,
        })
    }
}

/// `POST /orders`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    #[serde(deserialize_with = "number::whole")]
    #[schema(minimum = 1)]
    pub inventory_id: i64,
    /// 1 to 10^9 (`Quantity::MAX`).
    #[serde(deserialize_with = "number::whole")]
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub quantity: i64,
    #[schema(schema_with = schema::note::<500>)]
    pub delivery_address: Option<String>,
    #[schema(schema_with = schema::note::<2000>)]
    pub note: Option<String>,
    /// `cash_on_delivery` (the default without `payer_phone`) or `mobile_money` (the default
    /// with one).
    #[serde(default)]
    pub payment_method: Option<PaymentMethod>,
    /// The MSISDN asked to pay (`+2507XXXXXXXX`, or `07XXXXXXXX`); required for mobile money,
    /// not kept for cash on delivery.
    #[serde(default)]
    #[schema(schema_with = schema::optional_msisdn, example = "+250788123456")]
    pub payer_phone: Option<String>,
    /// `refill` (default: the buyer hands over as many empties and pays for the gas) or `new`
    /// (the buyer keeps the cylinders and also pays the item's deposit for each).
    #[serde(default)]
    pub kind: Option<OrderKind>,
    /// One of the 30 districts (any case); the seller must deliver there (`PUT /seller/zones`).
    #[schema(schema_with = schema::optional_district)]
    pub delivery_district: Option<String>,
}

/// A validated order, ready for the store to reserve stock and insert.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderDraft {
    pub buyer_id: i64,
    pub inventory_id: i64,
    pub quantity: Quantity,
    pub kind: OrderKind,
    pub delivery_address: Option<String>,
    pub note: Option<String>,
    /// The district's official name.
    pub delivery_district: Option<String>,
    /// A retry with the same key returns the first order and reserves nothing more.
    pub idempotency_key: Option<String>,
    pub payment_method: PaymentMethod,
    pub payer_phone: Option<Msisdn>,
}

impl OrderInput {
    pub fn validate(&self, buyer_id: i64, idempotency_key: Option<&str>) -> Result<OrderDraft> {
        positive_id(self.inventory_id, "inventory_id")?;
        let idempotency_key = match idempotency_key.map(str::trim) {
            None => None,
            Some(key) if key.is_empty() || key.len() > 255 || !key.chars().all(|c| c.is_ascii_graphic()) => {
                return Err(Error::invalid("Idempotency-Key", "must be 1 to 255 printable ASCII characters"))
            }
            Some(key) => Some(key.to_owned()),
        };
        Ok(OrderDraft {
            buyer_id,
            inventory_id: self.inventory_id,
            quantity: Quantity::new(self.quantity)?,
            kind: self.kind.unwrap_or(OrderKind::DEFAULT),
            delivery_address: parse_note(self.delivery_address.as_deref(), "delivery_address", 500)?,
            note: parse_note(self.note.as_deref(), "note", NOTE_MAX)?,
            delivery_district: zones::order_district(self.delivery_district.as_deref())?,
            idempotency_key,
            payment_method: self.method(),
            payer_phone: payer_phone(self.method(), self.payer_phone.as_deref())?,
        })
    }
}

impl OrderInput {
    /// A number to pay from with no method named means mobile money; neither means cash.
    fn method(&self) -> PaymentMethod {
        match (self.payment_method, &self.payer_phone) {
            (Some(method), _) => method,
            (None, Some(_)) => PaymentMethod::MobileMoney,
            (None, None) => PaymentMethod::default(),
        }
    }
}

/// Mobile money needs the number to ask; cash on delivery has no use for one and does not
/// keep it (a client that always sends the buyer's number is not refused for it).
fn payer_phone(method: PaymentMethod, phone: Option<&str>) -> Result<Option<Msisdn>> {
    match (method, phone) {
        (PaymentMethod::MobileMoney, Some(phone)) => Ok(Some(phone.parse::<Msisdn>().map_err(|err| match err {
            Error::Invalid { message, .. } => Error::invalid("payer_phone", message),
            other => other,
        })?)),
        // The workflow asks the buyer's account for its number (`Gasstock::place_order`).
        (PaymentMethod::MobileMoney, None) => Ok(None),
        (PaymentMethod::CashOnDelivery, _) => Ok(None),
    }
}

/// Which orders to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrderFilter {
    pub buyer_id: Option<i64>,
    pub seller_id: Option<i64>,
    pub status: Option<OrderStatus>,
    /// Queues list oldest first; everything else newest first.
    pub oldest_first: bool,
}

/// An admin's decision on an order or an invoice.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub approve: bool,
    // One line on purpose: utoipa turns this doc comment into the field's OpenAPI description,
    // line breaks included.
    /// Optional, on an approval as on a rejection: a note kept in the history and sent with the notifications. Omit it (or send null) for none.
    #[schema(schema_with = schema::note::<2000>)]
    pub reason: Option<String>,
}

impl InvoiceInput {
    /// The delivery fee (default 0) and the notes, checked.
    pub fn checked_fields(&self) -> Result<(Amount, Option<String>)> {
        positive_id(self.order_id, "order_id")?;
        Ok((
            Amount::new(self.delivery_fee.unwrap_or(0), "delivery_fee")?,
            parse_note(self.notes.as_deref(), "notes", NOTE_MAX)?,
        ))
    }
}

impl Decision {
    /// The reason, optional for approvals and rejections alike (docs/api.md: `reason?`);
    /// when given, at most 2000 characters without control characters.
    pub fn reason(&self) -> Result<Option<String>> {
        parse_note(self.reason.as_deref(), "reason", NOTE_MAX)
    }
}

/// `POST /seller/invoice`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceInput {
    #[serde(deserialize_with = "number::whole")]
    #[schema(minimum = 1)]
    pub order_id: i64,
    /// Minor units, 0 to 10^9 (`Amount::MAX`); default 0.
    #[serde(default, deserialize_with = "number::optional_whole")]
    #[schema(nullable, minimum = 0, maximum = 1_000_000_000)]
    pub delivery_fee: Option<i64>,
    #[schema(schema_with = schema::note::<2000>)]
    pub notes: Option<String>,
}

/// A computed invoice, ready to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct InvoiceDraft {
    pub order_id: i64,
    pub seller_id: i64,
    pub amount: Amount,
    pub delivery_fee: Amount,
    pub currency: Currency,
    pub notes: Option<String>,
}

/// `POST /feedback`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackInput {
    #[serde(deserialize_with = "number::whole")]
    #[schema(minimum = 1)]
    pub order_id: i64,
    /// 1 to 5.
    #[serde(deserialize_with = "number::whole")]
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i64,
    #[schema(schema_with = schema::note::<2000>)]
    pub comment: Option<String>,
}

/// A validated feedback for a delivered order.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedbackDraft {
    pub order_id: i64,
    pub buyer_id: i64,
    pub seller_id: i64,
    pub rating: Rating,
    pub comment: Option<String>,
}

impl FeedbackInput {
    pub(crate) fn checked_fields(&self) -> Result<(Rating, Option<String>)> {
        positive_id(self.order_id, "order_id")?;
        Ok((Rating::new(self.rating)?, parse_note(self.comment.as_deref(), "comment", NOTE_MAX)?))
    }
}

/// Ids are from 1.
pub(crate) fn positive_id(id: i64, field: &'static str) -> Result<()> {
    if id < 1 {
        return Err(Error::invalid(field, "must be a positive id"));
    }
    Ok(())
}

/// Which page of a list: `page` from 1, `per_page` from 1 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
}

impl PageRequest {
    pub const MAX_PER_PAGE: u32 = 100;
    pub const DEFAULT_PER_PAGE: u32 = 20;
    /// Pages further than this would overflow the offset arithmetic of any backend.
    pub const MAX_PAGE: u32 = 10_000_000;

    pub fn new(page: Option<i64>, per_page: Option<i64>) -> Result<Self> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(i64::from(Self::DEFAULT_PER_PAGE));
        if !(1..=i64::from(Self::MAX_PAGE)).contains(&page) {
            return Err(Error::invalid("page", "must be a whole number from 1"));
        }
        if !(1..=i64::from(Self::MAX_PER_PAGE)).contains(&per_page) {
            return Err(Error::invalid("per_page", format!("must be from 1 to {}", Self::MAX_PER_PAGE)));
        }
        Ok(PageRequest { page: page as u32, per_page: per_page as u32 })
    }

    pub fn offset(self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }

    pub fn limit(self) -> i64 {
        i64::from(self.per_page)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest { page: 1, per_page: Self::DEFAULT_PER_PAGE }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;

    fn stock(weight: &str, quantity: i64, price: i64) -> StockItemInput {
        StockItemInput {
            brand: "Jibu".into(),
            weight: weight.into(),
            location: "Kigali".into(),
            quantity,
            unit_price: price,
            currency: None,
            empties: None,
            deposit: None,
            low_stock_threshold: None,
        }
    }

    #[test]
    fn stock_item_validation() {
        let draft = stock("12.5 kg", 0, 15000).validate().unwrap();
        assert_eq!(draft.weight.grams(), 12_500);
        assert_eq!(draft.currency, Currency::RWF);
        assert!(matches!(stock("heavy", 1, 1).validate(), Err(Error::Invalid { field, .. }) if field == "weight"));
        assert!(matches!(stock("12", -1, 1).validate(), Err(Error::Invalid { field, .. }) if field == "quantity"));
        assert!(matches!(stock("12", 1, -5).validate(), Err(Error::Invalid { field, .. }) if field == "unit_price"));
        let json: StockItemInput =
            serde_json::from_str(r#"{"brand":"K","weight":12.5,"location":"L","quantity":1,"unit_price":1}"#).unwrap();
        assert_eq!(json.validate().unwrap().weight.grams(), 12_500);
    }

    #[test]
    fn registration_never_makes_admins() {
        let reg = |role: &str| Registration {
            email: "a@b.rw".into(),
            password: "long enough".into(),
            name: "A".into(),
            role: role.into(),
            phone: None,
            location: None,
        };
        assert!(matches!(reg("admin").validate(), Err(Error::Invalid { field, .. }) if field == "role"));
        assert!(reg("root").validate().is_err());
        assert_eq!(reg("seller").validate().unwrap().role, Role::Seller);
    }

    #[test]
    fn paging_bounds() {
        assert_eq!(PageRequest::new(None, None).unwrap(), PageRequest { page: 1, per_page: 20 });
        assert_eq!(PageRequest::new(Some(3), Some(10)).unwrap().offset(), 20);
        for (page, per_page) in [(0, 20), (-1, 20), (1, 0), (1, 101)] {
            assert!(PageRequest::new(Some(page), Some(per_page)).is_err(), "{page} {per_page}");
        }
    }

    #[test]
    fn idempotency_keys_are_bounded() {
        let order = OrderInput {
            inventory_id: 1,
            quantity: 1,
            delivery_address: None,
            note: None,
            kind: None,
            payment_method: None,
            payer_phone: None,
            delivery_district: None,
        };
        assert!(order.validate(1, Some("")).is_err());
        assert!(order.validate(1, Some(&"k".repeat(256))).is_err());
        assert_eq!(order.validate(1, Some("retry-1")).unwrap().idempotency_key.as_deref(), Some("retry-1"));
        assert!(OrderInput { quantity: 0, ..order }.validate(1, None).is_err());
    }
}
