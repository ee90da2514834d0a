//! A seller's stock item as sent (`POST /seller/inventory`, a CSV row) and validated.

use serde::Deserialize;
use utoipa::ToSchema;

use super::cylinders::count_field;
use super::{number, schema, WeightInput, LABEL_MAX};
use crate::domain::{Amount, Currency, Label, StockLevel, WeightKg};
use crate::error::Result;

/// `POST /seller/inventory`, and one row of a CSV import.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockItemInput {
    #[schema(schema_with = schema::label::<100>)]
    pub brand: String,
    /// Kilograms: `12`, `12.5`, `"12kg"`, `"12.5 KG"`.
    #[schema(schema_with = schema::weight)]
    pub weight: WeightInput,
    #[schema(schema_with = schema::label::<100>)]
    pub location: String,
    /// The new available quantity, 0 to 10^9 (`Quantity::MAX`).
    #[serde(deserialize_with = "number::whole")]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub quantity: i64,
    /// Price of one cylinder in minor units, 0 to 10^9 (`Amount::MAX`).
    #[serde(deserialize_with = "number::whole")]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub unit_price: i64,
    /// ISO 4217, default `RWF`.
    #[schema(schema_with = schema::currency)]
    pub currency: Option<String>,
    /// Empty cylinders held, 0 to 10^9; omitted: unchanged (0 for a new item).
    #[serde(default, deserialize_with = "number::optional_whole")]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub empties: Option<i64>,
    /// Deposit for one cylinder sold new, minor units, 0 to 10^9; omitted: unchanged (0 for a new item).
    #[serde(default, deserialize_with = "number::optional_whole")]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub deposit: Option<i64>,
    /// Low-stock level, 0 to 10^9 (the `stock.low` notice is not sent yet); omitted: unchanged (none for a new item).
    #[serde(default, deserialize_with = "number::optional_whole")]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub low_stock_threshold: Option<i64>,
}

/// A stock item's validated fields; the key is (seller, brand, weight, location).
#[derive(Debug, Clone, PartialEq)]
pub struct StockItemDraft {
    pub brand: Label,
    pub weight: WeightKg,
    pub location: Label,
    pub quantity: StockLevel,
    pub unit_price: Amount,
    pub currency: Currency,
    /// `None`: keep what the item has (0 for a new one); the same for the two below.
    pub empties: Option<i64>,
    pub deposit: Option<Amount>,
    pub low_stock_threshold: Option<i64>,
}

impl StockItemInput {
    pub fn validate(&self) -> Result<StockItemDraft> {
        Ok(StockItemDraft {
            brand: Label::parse(&self.brand, "brand", LABEL_MAX)?,
            weight: self.weight.parse()?,
            location: Label::parse(&self.location, "location", LABEL_MAX)?,
            quantity: StockLevel::new(self.quantity)?,
            unit_price: Amount::new(self.unit_price, "unit_price")?,
            currency: match self.currency.as_deref().map(str::trim) {
                None | Some("") => Currency::default(),
                Some(code) => code.parse()?,
            },
            empties: self.empties.map(|n| count_field(n, "empties")).transpose()?,
            deposit: self.deposit.map(|d| Amount::new(d, "deposit")).transpose()?,
            low_stock_threshold: self.low_stock_threshold.map(|n| count_field(n, "low_stock_threshold")).transpose()?,
        })
    }
}
