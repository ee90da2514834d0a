//! Delivery zones as a seller declares them (issue 13), checked: known districts, each once,
//! fees within the money bounds.

use serde::Deserialize;
use utoipa::ToSchema;

use super::number;
use crate::domain::{parse_district, Amount};
use crate::error::{Error, Result};

/// One row of `PUT /seller/zones`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ZoneInput {
    /// One of the 30 districts of Rwanda (any case; stored in its official spelling).
    #[schema(schema_with = super::schema::district)]
    pub district: String,
    /// The delivery fee there, minor units, 0 to 10^9 (`Amount::MAX`).
    #[serde(deserialize_with = "number::whole")]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub fee: i64,
}

/// The seller's whole set of zones, each district once, in the order given.
pub fn validate_zones(zones: &[ZoneInput]) -> Result<Vec<(&'static str, Amount)>> {
    let mut valid: Vec<(&'static str, Amount)> = Vec::with_capacity(zones.len());
    for zone in zones {
        let district = parse_district(&zone.district, "district")?.name;
        if valid.iter().any(|(seen, _)| *seen == district) {
            // A conflict within the request, not a bad value: each entry alone is valid.
            return Err(Error::conflict("duplicate_district", format!("{district} is listed twice")));
        }
        valid.push((district, Amount::new(zone.fee, "fee")?));
    }
    Ok(valid)
}

/// An order's optional `delivery_district`, by its official name (blank: none).
pub fn order_district(text: Option<&str>) -> Result<Option<String>> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => Ok(Some(parse_district(text, "delivery_district")?.name.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(district: &str, fee: i64) -> ZoneInput {
        ZoneInput { district: district.into(), fee }
    }

    #[test]
    fn zones_are_known_districts_once_with_bounded_fees() {
        let valid = validate_zones(&[zone("huye", 500), zone("Nyanza", 0)]).unwrap();
        assert_eq!(
            valid.iter().map(|(d, f)| (*d, f.minor_units())).collect::<Vec<_>>(),
            [("Huye", 500), ("Nyanza", 0)]
        );
        assert!(validate_zones(&[zone("Huye", 1), zone("HUYE", 2)]).is_err());
        assert!(validate_zones(&[zone("Atlantis", 1)]).is_err());
        assert!(validate_zones(&[zone("Huye", -1)]).is_err());
        assert!(validate_zones(&[]).unwrap().is_empty());
    }

    #[test]
    fn an_order_district_is_optional() {
        assert_eq!(order_district(None).unwrap(), None);
        assert_eq!(order_district(Some("  ")).unwrap(), None);
        assert_eq!(order_district(Some("musanze")).unwrap().as_deref(), Some("Musanze"));
        assert!(order_district(Some("Kigali")).is_err(), "a city, not a district");
    }
}
