//! Delivery zones (issue 13): a seller declares the districts they deliver to and the fee for
//! each; an order naming a district must be one the seller serves (checked as it is placed,
//! `store/zones.rs`), and its invoice's delivery fee defaults to that zone's fee.

use crate::commands::zones::{validate_zones, ZoneInput};
use crate::domain::Amount;
use crate::error::Result;
use crate::models::{Order, Zone};
use crate::policy::{authorize, Actor, Operation};
use crate::Gasstock;

impl Gasstock {
    /// `PUT /seller/zones`: replaces the seller's whole set (an empty list clears it).
    pub async fn set_zones(&self, actor: &Actor, zones: &[ZoneInput]) -> Result<Vec<Zone>> {
        authorize(actor, Operation::ManageZones)?;
        let valid = validate_zones(zones)?;
        self.store().set_zones(actor.user_id, valid).await
    }

    /// The seller's own zones, by district.
    pub async fn my_zones(&self, actor: &Actor) -> Result<Vec<Zone>> {
        authorize(actor, Operation::ManageZones)?;
        self.store().zones(actor.user_id).await
    }

    /// The invoice's delivery fee: the one the seller sent, else the fee of the order's zone
    /// as it is when invoicing, else `fallback` (the default, 0) when the order names no
    /// district or the seller no longer serves it.
    pub(crate) async fn zone_fee_or(&self, order: &Order, sent: Option<i64>, fallback: Amount) -> Result<Amount> {
        let (None, Some(district)) = (sent, order.delivery_district.as_deref()) else {
            return Ok(fallback);
        };
        match self.store().zone_fee(order.seller_id, district).await? {
            Some(fee) => Amount::stored(fee, "delivery_fee"),
            None => Ok(fallback),
        }
    }
}
