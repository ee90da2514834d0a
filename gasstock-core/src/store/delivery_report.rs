//! `report deliveries` (issue 13): per seller and driver, how many dispatches, how many
//! delivered and failed, and the median time from dispatch to delivery.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::db::Sql;
use super::row::record;
use super::Store;
use crate::domain::OrderStatus;
use crate::error::Result;

/// One seller and driver.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeliveryReportRow {
    pub seller_id: i64,
    pub seller_name: String,
    pub driver_id: i64,
    pub driver_name: String,
    /// Dispatches to this driver (a re-dispatch counts again).
    pub dispatched: i64,
    /// Dispatches the driver completed with the buyer's code.
    pub delivered: i64,
    /// Dispatches that ended failed (reported by the driver, or locked and re-dispatched).
    pub failed: i64,
    /// Median seconds from dispatch to delivery, over the delivered ones; `None` before any.
    pub median_delivery_secs: Option<i64>,
}

struct DispatchFact {
    seller_id: i64,
    seller_name: String,
    driver_id: i64,
    driver_name: String,
    dispatched_at: DateTime<Utc>,
    failed_at: Option<DateTime<Utc>>,
    delivered_at: Option<DateTime<Utc>>,
}
record!(DispatchFact { seller_id, seller_name, driver_id, driver_name, dispatched_at, failed_at, delivered_at });

/// The median of sorted `values` (the mean of the middle two for an even count).
fn median(values: &mut [i64]) -> Option<i64> {
    values.sort_unstable();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2),
    }
}

impl Store {
    /// One row per (seller, driver) with at least one dispatch, by seller then driver. One
    /// statement reads each dispatch with its outcome (delivered: the order's latest dispatch
    /// of a delivered order, at the time of its `delivered` event); the counts and medians
    /// are taken here.
    pub async fn deliveries_report(&self) -> Result<Vec<DeliveryReportRow>> {
        let facts: Vec<DispatchFact> = self
            .read_all(
                Sql::new(
                    "SELECT ds.seller_id, su.name AS seller_name, ds.driver_id, du.name AS driver_name, \
                     ds.dispatched_at, ds.failed_at, \
                     CASE WHEN o.status = $1 AND ds.id = (SELECT MAX(x.id) FROM dispatches x WHERE x.order_id = ds.order_id) \
                     THEN (SELECT MAX(e.created_at) FROM status_events e WHERE e.order_id = ds.order_id AND e.to_status = $1) \
                     END AS delivered_at \
                     FROM dispatches ds JOIN orders o ON o.id = ds.order_id \
                     JOIN users su ON su.id = ds.seller_id JOIN users du ON du.id = ds.driver_id \
                     ORDER BY ds.seller_id, ds.driver_id, ds.id",
                )
                .bind(OrderStatus::Delivered),
            )
            .await?;
        let mut rows: Vec<(DeliveryReportRow, Vec<i64>)> = Vec::new();
        for fact in facts {
            let same = rows.last().is_some_and(|(r, _)| r.seller_id == fact.seller_id && r.driver_id == fact.driver_id);
            if !same {
                let row = DeliveryReportRow {
                    seller_id: fact.seller_id,
                    seller_name: fact.seller_name.clone(),
                    driver_id: fact.driver_id,
                    driver_name: fact.driver_name.clone(),
                    dispatched: 0,
                    delivered: 0,
                    failed: 0,
                    median_delivery_secs: None,
                };
                rows.push((row, Vec::new()));
            }
            let (row, times) = rows.last_mut().expect("pushed above");
            row.dispatched += 1;
            if fact.failed_at.is_some() {
                row.failed += 1;
            }
            if let Some(delivered_at) = fact.delivered_at {
                row.delivered += 1;
                times.push((delivered_at - fact.dispatched_at).num_seconds());
            }
        }
        Ok(rows
            .into_iter()
            .map(|(mut row, mut times)| {
                row.median_delivery_secs = median(&mut times);
                row
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn medians() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [30, 10, 20]), Some(20));
        assert_eq!(median(&mut [40, 10, 20, 30]), Some(25));
    }
}
