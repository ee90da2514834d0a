//! The 30 districts of Rwanda (issue 13), where sellers deliver and stock is located, with
//! a point for each and the great-circle distance between two of them.
//!
//! The points are the districts' centroids (area-weighted, computed from the boundary
//! polygons with the shoelace formula on longitude/latitude, which is exact enough at this
//! scale), rounded to 0.0001 degree (about 11 m). Source of the boundaries: geoBoundaries
//! RWA ADM2 (boundaryID RWA-ADM2-39286606, boundary year 2012, build of 2021-07-09), made from
//! the National Institute of Statistics of Rwanda's district layer (NISR / Open Data Rwanda,
//! geodata-nisr.opendata.arcgis.com), licence CC BY 4.0: github.com/wmgeolab/geoBoundaries,
//! releaseData/gbOpen/RWA/ADM2/geoBoundaries-RWA-ADM2_simplified.topojson at commit 0aea030.
//! Checked against a second product, the Water and Sanitation Corporation's district
//! boundaries (github.com/WASAC/rw-admin-boundary, CC BY 4.0): the centroids of the six
//! districts compared lie within 50 m of these. A centroid is the middle of the district's
//! land, not its seat (Rusizi's lies 13 km east of Kamembe, Kayonza's towards Akagera): the
//! distance between two districts is between their middles, which ranks sellers by how far
//! they are; it is not a route.

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
    d("Gasabo", "Kigali City", -1.8915, 30.1422),
    d("Kicukiro", "Kigali City", -2.0088, 30.1437),
    d("Nyarugenge", "Kigali City", -1.9921, 30.0289),
    d("Bugesera", "Eastern", -2.2397, 30.1502),
    d("Gatsibo", "Eastern", -1.6190, 30.4454),
    d("Kayonza", "Eastern", -1.8451, 30.6419),
    d("Kirehe", "Eastern", -2.2344, 30.7103),
    d("Ngoma", "Eastern", -2.1830, 30.4571),
    d("Nyagatare", "Eastern", -1.3383, 30.3799),
    d("Rwamagana", "Eastern", -1.9755, 30.3547),
    d("Burera", "Northern", -1.4663, 29.8266),
    d("Gakenke", "Northern", -1.6985, 29.7842),
    d("Gicumbi", "Northern", -1.6216, 30.1139),
    d("Musanze", "Northern", -1.4984, 29.6066),
    d("Rulindo", "Northern", -1.7392, 29.9872),
    d("Gisagara", "Southern", -2.6181, 29.8436),
    d("Huye", "Southern", -2.5247, 29.7088),
    d("Kamonyi", "Southern", -2.0095, 29.9024),
    d("Muhanga", "Southern", -1.9548, 29.7227),
    d("Nyamagabe", "Southern", -2.4113, 29.4699),
    d("Nyanza", "Southern", -2.3358, 29.7935),
    d("Nyaruguru", "Southern", -2.6948, 29.5169),
    d("Ruhango", "Southern", -2.1936, 29.7718),
    d("Karongi", "Western", -2.1409, 29.3938),
    d("Ngororero", "Western", -1.8779, 29.5695),
    d("Nyabihu", "Western", -1.6474, 29.5105),
    d("Nyamasheke", "Western", -2.3538, 29.1560),
    d("Rubavu", "Western", -1.6651, 29.3303),
    d("Rusizi", "Western", -2.5590, 29.0797),
    d("Rutsiro", "Western", -1.9089, 29.3246),
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
