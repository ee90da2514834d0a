//! `GET /gas` beyond the filters (issue 13): nearest sellers and the order of the results.

use std::str::FromStr;

use super::StockQuery;
use crate::domain::{parse_district, District};
use crate::error::{Error, Result};

/// How browse results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrowseSort {
    /// Oldest item first (today's default without `near`).
    Id,
    /// Cheapest first.
    Price,
    /// Nearest to `near` first (items whose location is no district last), then cheapest;
    /// without `near`, the same as `Id`.
    Distance,
    /// Best-rated seller first (unrated last), then most reviewed.
    Rating,
}

impl FromStr for BrowseSort {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "price" => Ok(BrowseSort::Price),
            "distance" => Ok(BrowseSort::Distance),
            "rating" => Ok(BrowseSort::Rating),
            other => Err(Error::invalid("sort", format!("'{other}' is not a sort: use price, distance or rating"))),
        }
    }
}

/// `GET /gas` as a buyer sends it.
#[derive(Debug, Clone, Default)]
pub struct BrowseQuery {
    pub stock: StockQuery,
    /// A district name: distances are measured from it.
    pub near: Option<String>,
    pub sort: Option<String>,
    /// Only items at most this far from `near` (km).
    pub max_km: Option<f64>,
}

/// A checked [`BrowseQuery`]'s ordering part.
#[derive(Debug, Clone, Copy)]
pub struct BrowseOrder {
    pub near: Option<&'static District>,
    pub sort: BrowseSort,
    pub max_km: Option<f64>,
}

impl BrowseQuery {
    pub fn order(&self) -> Result<BrowseOrder> {
        let near = match self.near.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(name) => Some(parse_district(name, "near")?),
        };
        let sort = match self.sort.as_deref().map(str::trim) {
            None | Some("") => BrowseSort::Distance,
            Some(text) => text.parse()?,
        };
        // Without `near` there is no distance: sorting by it is the default order, and
        // `max_km` limits nothing (a query valid by the schema is answered, not refused).
        let sort = if near.is_none() && sort == BrowseSort::Distance { BrowseSort::Id } else { sort };
        if let Some(max) = self.max_km {
            if !max.is_finite() || !(0.0..=1000.0).contains(&max) {
                return Err(Error::invalid("max_km", "a distance from 0 to 1000 km"));
            }
        }
        Ok(BrowseOrder { near, sort, max_km: near.and(self.max_km) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(near: Option<&str>, sort: Option<&str>, max_km: Option<f64>) -> BrowseQuery {
        BrowseQuery { near: near.map(Into::into), sort: sort.map(Into::into), max_km, ..Default::default() }
    }

    #[test]
    fn near_defaults_to_distance_and_without_near_there_is_no_distance() {
        assert_eq!(query(None, None, None).order().unwrap().sort, BrowseSort::Id);
        let near = query(Some("huye"), None, Some(50.0)).order().unwrap();
        assert_eq!((near.near.unwrap().name, near.sort), ("Huye", BrowseSort::Distance));
        assert_eq!(query(Some("Huye"), Some("PRICE"), None).order().unwrap().sort, BrowseSort::Price);
        assert_eq!(query(None, Some("distance"), None).order().unwrap().sort, BrowseSort::Id, "no near, no distance");
        assert_eq!(query(None, None, Some(10.0)).order().unwrap().max_km, None, "max_km needs near");
        assert!(query(Some("Huye"), None, Some(-1.0)).order().is_err());
        assert!(query(Some("Huye"), Some("cheapest"), None).order().is_err());
        assert!(query(Some("Butare"), None, None).order().is_err());
    }
}
