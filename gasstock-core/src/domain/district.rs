//! The 30 districts of Rwanda (issue 13), where sellers deliver and stock is located, with
//! a point for each and the great-circle distance between two of them.
//!
//! The points: no authoritative table of district centroids was at hand. They are each
//! district's coordinates as given in its Wikipedia article's infobox (decimal degrees,
//! WGS 84, rounded to 0.01 degree, about 1 km), written from memory and spot-checked against
//! the articles found for Rutsiro (1.917 S, 29.317 E), Nyarugenge (1.983 S, 30.017 E),
//! Rwamagana (1 58' S, 30 21' E) and Rusizi (2 33' 56" S, 28 57' 47" E). They mark a
//! district's centre or seat, not a computed centroid, and may be off by a few km: good
//! enough to rank sellers by distance, not for routing. The authoritative source would be
//! centroids computed from NISR's district boundaries (2012 census mapping, WGS 84).

use crate::error::Error;

/// One district: its official name and a point inside it (degrees; south is negative).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct District {
    pub name: &'static str,
    pub province: &'static str,
    pub lat: f64,
    pub lon: f64,
}

const fn d(name: &'static str, province: &'static str, lat: f64, lon: f64) -> District {
    District { name, province, lat, lon }
}

/// Kigali City 3, Eastern 7, Northern 5, Southern 8, Western 7.
pub const DISTRICTS: [District; 30] = [
    d("Gasabo", "Kigali City", -1.88, 30.12),
    d("Kicukiro", "Kigali City", -2.00, 30.10),
    d("Nyarugenge", "Kigali City", -1.98, 30.02),
    d("Bugesera", "Eastern", -2.22, 30.15),
    d("Gatsibo", "Eastern", -1.58, 30.45),
    d("Kayonza", "Eastern", -1.90, 30.50),
    d("Kirehe", "Eastern", -2.27, 30.70),
    d("Ngoma", "Eastern", -2.17, 30.48),
    d("Nyagatare", "Eastern", -1.30, 30.33),
    d("Rwamagana", "Eastern", -1.97, 30.35),
    d("Burera", "Northern", -1.47, 29.83),
    d("Gakenke", "Northern", -1.70, 29.78),
    d("Gicumbi", "Northern", -1.58, 30.07),
    d("Musanze", "Northern", -1.50, 29.58),
    d("Rulindo", "Northern", -1.73, 29.98),
    d("Gisagara", "Southern", -2.60, 29.83),
    d("Huye", "Southern", -2.60, 29.75),
    d("Kamonyi", "Southern", -2.00, 29.90),
    d("Muhanga", "Southern", -2.08, 29.75),
    d("Nyamagabe", "Southern", -2.47, 29.57),
    d("Nyanza", "Southern", -2.35, 29.75),
    d("Nyaruguru", "Southern", -2.63, 29.47),
    d("Ruhango", "Southern", -2.23, 29.78),
    d("Karongi", "Western", -2.08, 29.38),
    d("Ngororero", "Western", -1.87, 29.62),
    d("Nyabihu", "Western", -1.65, 29.50),
    d("Nyamasheke", "Western", -2.33, 29.13),
    d("Rubavu", "Western", -1.68, 29.35),
    d("Rusizi", "Western", -2.57, 28.96),
    d("Rutsiro", "Western", -1.92, 29.32),
];

/// The district named `text` (trimmed, any case), by its official spelling; otherwise an
/// `Invalid` error on `field` that lists every valid name.
pub fn parse_district(text: &str, field: &'static str) -> Result<&'static District, Error> {
    let wanted = text.trim();
    DISTRICTS.iter().find(|d| d.name.eq_ignore_ascii_case(wanted)).ok_or_else(|| {
        let valid: Vec<&str> = DISTRICTS.iter().map(|d| d.name).collect();
        Error::invalid(field, format!("'{wanted}' is not a district of Rwanda: use one of {}", valid.join(", ")))
    })
}

/// Great-circle distance in km (haversine, mean Earth radius 6371 km).
pub fn distance_km(a: &District, b: &District) -> f64 {
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let (dlat, dlon) = ((b.lat - a.lat).to_radians(), (b.lon - a.lon).to_radians());
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_districts_in_five_provinces_all_inside_rwanda() {
        let count = |p: &str| DISTRICTS.iter().filter(|d| d.province == p).count();
        assert_eq!(
            [count("Kigali City"), count("Eastern"), count("Northern"), count("Southern"), count("Western")],
            [3, 7, 5, 8, 7]
        );
        let mut names: Vec<_> = DISTRICTS.iter().map(|d| d.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 30);
        // Rwanda's bounding box: 1.05 to 2.84 S, 28.86 to 30.90 E.
        assert!(DISTRICTS.iter().all(|d| (-2.84..=-1.05).contains(&d.lat) && (28.86..=30.90).contains(&d.lon)));
    }

    #[test]
    fn names_parse_in_any_case_and_unknown_ones_list_the_valid() {
        assert_eq!(parse_district(" huye ", "near").unwrap().name, "Huye");
        let err = parse_district("Butare", "near").unwrap_err().to_string();
        assert!(err.contains("Gasabo") && err.contains("Rutsiro"), "{err}");
    }

    #[test]
    fn distances_are_great_circle_km() {
        let at = |n| parse_district(n, "x").unwrap();
        assert_eq!(distance_km(at("Huye"), at("Huye")), 0.0);
        let kigali_huye = distance_km(at("Nyarugenge"), at("Huye"));
        assert!((65.0..80.0).contains(&kigali_huye), "{kigali_huye}");
        assert_eq!(distance_km(at("Huye"), at("Rubavu")), distance_km(at("Rubavu"), at("Huye")));
    }
}
