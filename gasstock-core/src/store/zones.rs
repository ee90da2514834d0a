//! Delivery zones (issue 13): the districts a seller delivers to and the fee for each.

use super::db::{Conn, Sql};
use super::Store;
use crate::domain::Amount;
use crate::error::{Error, Result};
use crate::models::Zone;

impl Store {
    /// Replaces the seller's zones with `zones`, in one unit; returns them by district.
    pub async fn set_zones(&self, seller_id: i64, zones: Vec<(&'static str, Amount)>) -> Result<Vec<Zone>> {
        self.write(move |mut conn| {
            Box::pin(async move {
                conn.execute(Sql::new("DELETE FROM seller_zones WHERE seller_id = $1").bind(seller_id)).await?;
                for (district, fee) in zones {
                    let insert = Sql::new("INSERT INTO seller_zones (seller_id, district, fee) VALUES ($1, $2, $3)")
                        .bind(seller_id)
                        .bind(district)
                        .bind(fee.minor_units());
                    conn.execute(insert).await?;
                }
                zones_of(&mut conn, seller_id).await
            })
        })
        .await
    }

    pub async fn zones(&self, seller_id: i64) -> Result<Vec<Zone>> {
        self.read(move |mut conn| Box::pin(async move { zones_of(&mut conn, seller_id).await })).await
    }

    /// The seller's fee for `district`, if they deliver there.
    pub async fn zone_fee(&self, seller_id: i64, district: &str) -> Result<Option<i64>> {
        let sql = Sql::new("SELECT fee FROM seller_zones WHERE seller_id = $1 AND district = $2")
            .bind(seller_id)
            .bind(district);
        self.read(move |mut conn| Box::pin(async move { conn.fetch_optional_scalar(sql).await })).await
    }
}

async fn zones_of(conn: &mut Conn<'_>, seller_id: i64) -> Result<Vec<Zone>> {
    conn.fetch_all(
        Sql::new("SELECT district, fee FROM seller_zones WHERE seller_id = $1 ORDER BY district").bind(seller_id),
    )
    .await
}

/// `Invalid("delivery_district")` unless the seller delivers to `district`; the message
/// names the districts they do deliver to. Runs in the caller's unit (placing an order),
/// whose reservation an error rolls back.
pub(super) async fn check_served(conn: &mut Conn<'_>, seller_id: i64, district: &str) -> Result<()> {
    let zones = zones_of(conn, seller_id).await?;
    if zones.iter().any(|zone| zone.district == district) {
        return Ok(());
    }
    let served: Vec<&str> = zones.iter().map(|zone| zone.district.as_str()).collect();
    let served = if served.is_empty() { "none declared".to_owned() } else { served.join(", ") };
    Err(Error::invalid(
        "delivery_district",
        format!("this seller does not deliver to {district} (they deliver to: {served})"),
    ))
}
