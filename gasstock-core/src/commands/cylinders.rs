//! Requests about cylinders themselves rather than sales: refills, adjustments and empty
//! returns, and their validation.

use serde::Deserialize;
use utoipa::ToSchema;

use super::{number, positive_id, schema, NOTE_MAX};
use crate::domain::{parse_note, AdjustmentReason, MovementReason, Quantity};
use crate::error::{Error, Result};

/// A count of cylinders that may be 0: 0 to `Quantity::MAX`.
pub fn count_field(count: i64, field: &'static str) -> Result<i64> {
    match count {
        c if c < 0 => Err(Error::invalid(field, "must not be negative")),
        c if c > Quantity::MAX => Err(Error::invalid(field, format!("must be at most {}", Quantity::MAX))),
        c => Ok(c),
    }
}

/// A change of counts of one direction or the other: at most `Quantity::MAX` either way.
fn delta_field(delta: i64, field: &'static str) -> Result<i64> {
    if delta.unsigned_abs() > Quantity::MAX as u64 {
        return Err(Error::invalid(field, format!("must be from -{0} to {0}", Quantity::MAX)));
    }
    Ok(delta)
}

/// `POST /seller/inventory/{id}/refill`: empties came back full from the depot.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefillInput {
    /// 1 to 10^9 empties turned into full cylinders.
    #[serde(deserialize_with = "number::whole")]
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub quantity: i64,
    #[schema(schema_with = schema::note::<2000>)]
    pub note: Option<String>,
}

/// `POST /seller/inventory/{id}/adjustments`: a correction of the counts with its reason.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentInput {
    /// Change of the full count, -10^9 to 10^9.
    #[serde(default, deserialize_with = "number::whole")]
    #[schema(minimum = -1_000_000_000, maximum = 1_000_000_000)]
    pub full_delta: i64,
    /// Change of the empty count, -10^9 to 10^9.
    #[serde(default, deserialize_with = "number::whole")]
    #[schema(minimum = -1_000_000_000, maximum = 1_000_000_000)]
    pub empty_delta: i64,
    pub reason: AdjustmentReason,
    #[schema(schema_with = schema::note::<2000>)]
    pub note: Option<String>,
}

/// A validated change of an item's counts, for the store (refill or adjustment).
#[derive(Debug, Clone, PartialEq)]
pub struct AdjustmentDraft {
    pub inventory_id: i64,
    pub full_delta: i64,
    pub empty_delta: i64,
    pub reason: MovementReason,
    pub note: Option<String>,
}

impl RefillInput {
    pub fn validate(&self, inventory_id: i64) -> Result<AdjustmentDraft> {
        let quantity = Quantity::new(self.quantity)?.get();
        Ok(AdjustmentDraft {
            inventory_id,
            full_delta: quantity,
            empty_delta: -quantity,
            reason: MovementReason::Refill,
            note: parse_note(self.note.as_deref(), "note", NOTE_MAX)?,
        })
    }
}

impl AdjustmentInput {
    pub fn validate(&self, inventory_id: i64) -> Result<AdjustmentDraft> {
        let full_delta = delta_field(self.full_delta, "full_delta")?;
        let empty_delta = delta_field(self.empty_delta, "empty_delta")?;
        // Both 0 is allowed: a stocktake that found the books right is worth its ledger line.
        Ok(AdjustmentDraft {
            inventory_id,
            full_delta,
            empty_delta,
            reason: self.reason.into(),
            note: parse_note(self.note.as_deref(), "note", NOTE_MAX)?,
        })
    }
}

/// `POST /returns`: a buyer hands back empties they hold deposits for.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnInput {
    #[serde(deserialize_with = "number::whole")]
    #[schema(minimum = 1)]
    pub inventory_id: i64,
    /// 1 to 10^9 cylinders.
    #[serde(deserialize_with = "number::whole")]
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub quantity: i64,
}

/// A validated return request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReturnDraft {
    pub buyer_id: i64,
    pub inventory_id: i64,
    pub quantity: i64,
}

impl ReturnInput {
    pub fn validate(&self, buyer_id: i64) -> Result<ReturnDraft> {
        positive_id(self.inventory_id, "inventory_id")?;
        Ok(ReturnDraft { buyer_id, inventory_id: self.inventory_id, quantity: Quantity::new(self.quantity)?.get() })
    }
}

/// `PATCH /returns/{id}`: the seller (or an admin) settles a pending return.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnDecision {
    pub accept: bool,
    /// When accepting: cylinders in good condition (their deposits are refunded).
    #[serde(default, deserialize_with = "number::optional_whole")]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub good: Option<i64>,
    /// When accepting: damaged cylinders (their deposits are forfeited); good + damaged = quantity.
    #[serde(default, deserialize_with = "number::optional_whole")]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub damaged: Option<i64>,
}

/// How a return is settled: `None` rejects it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReturnSettlement {
    pub good: i64,
    pub damaged: i64,
}

impl ReturnDecision {
    /// Checks the split against the return's `quantity`; omitted counts default to all good.
    pub fn validate(&self, quantity: i64) -> Result<Option<ReturnSettlement>> {
        if !self.accept {
            if self.good.is_some() || self.damaged.is_some() {
                return Err(Error::invalid("good", "good and damaged are only for an accepted return"));
            }
            return Ok(None);
        }
        let damaged = count_field(self.damaged.unwrap_or(0), "damaged")?;
        let good = count_field(self.good.unwrap_or(quantity - damaged), "good")?;
        if good + damaged != quantity {
            return Err(Error::invalid("good", format!("good + damaged must equal the returned quantity, {quantity}")));
        }
        Ok(Some(ReturnSettlement { good, damaged }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjustments_and_refills_are_bounded() {
        let adjust = |full: i64, empty: i64| AdjustmentInput {
            full_delta: full,
            empty_delta: empty,
            reason: AdjustmentReason::Stocktake,
            note: None,
        };
        assert_eq!(adjust(0, 0).validate(1).unwrap().full_delta, 0, "a count that found nothing to change");
        assert!(adjust(Quantity::MAX + 1, 0).validate(1).is_err());
        assert_eq!(adjust(-3, 2).validate(1).unwrap().reason, MovementReason::Stocktake);
        let refill = RefillInput { quantity: 4, note: None }.validate(9).unwrap();
        assert_eq!((refill.full_delta, refill.empty_delta, refill.reason), (4, -4, MovementReason::Refill));
        assert!(RefillInput { quantity: 0, note: None }.validate(9).is_err());
    }

    #[test]
    fn a_settlement_splits_the_whole_return() {
        let decide = |good, damaged| ReturnDecision { accept: true, good, damaged };
        assert_eq!(decide(None, None).validate(3).unwrap(), Some(ReturnSettlement { good: 3, damaged: 0 }));
        assert_eq!(decide(None, Some(1)).validate(3).unwrap(), Some(ReturnSettlement { good: 2, damaged: 1 }));
        assert!(decide(Some(2), Some(2)).validate(3).is_err());
        assert!(decide(None, Some(4)).validate(3).is_err());
        let reject = ReturnDecision { accept: false, good: Some(1), damaged: None };
        assert!(reject.validate(1).is_err());
    }
}
