//! Stock items: the seller's upsert, the browse list, and refills and adjustments (the two
//! changes that are nothing but stock).

use super::db::{now, Sql};
use super::low_stock;
use super::movements::{self, reconcile, record_prices, Movement, Scope, MOVEMENT_COLUMNS};
use super::ActorId;
use super::Store;
use crate::commands::{AdjustmentDraft, PageRequest, StockFilter, StockItemDraft};
use crate::domain::MovementReason;
use crate::error::{Error, Result};
use crate::models::{Paged, StockItem, StockMovement};

/// Columns of a [`StockItem`], with the seller's name looked up by key.
pub(super) const STOCK_COLUMNS: &str = "id, seller_id, \
    (SELECT name FROM users WHERE users.id = stock_items.seller_id) AS seller_name, \
    brand, weight_g, location, quantity, empties, unit_price, deposit, low_stock_threshold, currency, created_at, \
    updated_at";

impl Store {
    /// Adds or updates the item keyed by (seller, brand, weight, location); `true` if created.
    /// Empties, deposit and threshold left out keep what the item has. The change of counts
    /// goes to the ledger and a change of price to the price history, in the same unit. The
    /// ledger line is the difference from the counts the row held before (read by key and
    /// locked first), so an upsert costs the same however long the item's ledger grows.
    pub async fn upsert_stock_item(&self, seller_id: i64, item: StockItemDraft) -> Result<(StockItem, bool)> {
        let dialect = self.dialect();
        let mut previous = Sql::new("SELECT id, quantity, empties FROM stock_items WHERE seller_id = ");
        previous.push_bind(seller_id);
        dialect.and_equal_ignoring_case(&mut previous, "brand", item.brand.as_str().to_owned().into());
        previous.push(" AND weight_g = ").push_bind(item.weight.grams());
        dialect.and_equal_ignoring_case(&mut previous, "location", item.location.as_str().to_owned().into());
        previous.push(dialect.for_update());
        let upsert = Sql::new(format!(
            "INSERT INTO stock_items (seller_id, brand, weight_g, location, quantity, unit_price, currency, \
             empties, deposit, low_stock_threshold, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($9, 0), COALESCE($10, 0), $11, $8, $8) \
             ON CONFLICT {} DO UPDATE SET quantity = excluded.quantity, unit_price = excluded.unit_price, \
             currency = excluded.currency, updated_at = excluded.updated_at, \
             empties = COALESCE($9, stock_items.empties), deposit = COALESCE($10, stock_items.deposit), \
             low_stock_threshold = COALESCE($11, stock_items.low_stock_threshold) \
             RETURNING {STOCK_COLUMNS}",
            dialect.stock_key()
        ))
        .bind(seller_id)
        .bind(item.brand.as_str())
        .bind(item.weight.grams())
        .bind(item.location.as_str())
        .bind(item.quantity.get())
        .bind(item.unit_price.minor_units())
        .bind(item.currency.as_str())
        .bind(now())
        .bind(item.empties)
        .bind(item.deposit.map(|d| d.minor_units()))
        .bind(item.low_stock_threshold);
        let saved: StockItem = self
            .write(move |mut conn| {
                Box::pin(async move {
                    let before: Option<(i64, i64, i64)> = conn.fetch_optional(previous).await?;
                    let saved: StockItem = conn.fetch_one(upsert).await?;
                    let at = saved.updated_at;
                    match before {
                        Some((id, quantity, empties)) if id == saved.id => {
                            let (full_delta, empty_delta) = (saved.quantity - quantity, saved.empties - empties);
                            if full_delta != 0 || empty_delta != 0 {
                                let line = Movement {
                                    inventory_id: id,
                                    full_delta,
                                    empty_delta,
                                    reason: MovementReason::Upsert,
                                    order_id: None,
                                    return_id: None,
                                    actor: Some(seller_id),
                                    note: None,
                                    at,
                                };
                                movements::record(&mut conn, line).await?;
                            }
                        }
                        // A new item (or one a concurrent upsert created after the read): its
                        // ledger is empty or nearly so, and the row is now locked; the sum is
                        // cheap and exact.
                        _ => {
                            let scope = Scope::Item(saved.id);
                            reconcile(&mut conn, scope, MovementReason::Upsert, Some(seller_id), at).await?;
                        }
                    }
                    record_prices(&mut conn, Scope::Item(saved.id), Some(seller_id), at).await?;
                    Ok(saved)
                })
            })
            .await?;
        // An update moves updated_at past created_at; a fresh row has them equal.
        let created = saved.created_at == saved.updated_at;
        Ok((saved, created))
    }

    pub async fn get_stock_item(&self, id: i64) -> Result<Option<StockItem>> {
        self.read_optional(Sql::new(format!("SELECT {STOCK_COLUMNS} FROM stock_items WHERE id = $1")).bind(id)).await
    }

    /// Brand and location compare case-insensitively.
    pub async fn list_stock(&self, filter: StockFilter, page: PageRequest) -> Result<Paged<StockItem>> {
        let dialect = self.dialect();
        self.fetch_id_page(page, "stock_items", STOCK_COLUMNS, |sql| {
            if let Some(brand) = &filter.brand {
                dialect.and_equal_ignoring_case(sql, "brand", brand.into());
            }
            if let Some(weight) = filter.weight {
                sql.push(" AND weight_g = ").push_bind(weight.grams());
            }
            if let Some(location) = &filter.location {
                dialect.and_equal_ignoring_case(sql, "location", location.into());
            }
            if let Some(seller_id) = filter.seller_id {
                sql.push(" AND seller_id = ").push_bind(seller_id);
            }
            if filter.in_stock_only {
                sql.push(" AND quantity > 0");
            }
        })
        .await
    }

    /// Moves `full_delta` full and `empty_delta` empty cylinders in or out of the item, if
    /// neither count would go below zero (checked inside the UPDATE, so concurrent changes
    /// cannot both pass), and writes its movement. `Conflict("insufficient_stock")` otherwise.
    pub async fn adjust_stock(
        &self,
        adjustment: AdjustmentDraft,
        actor: ActorId,
    ) -> Result<(StockItem, StockMovement)> {
        let at = now();
        self.write(move |mut conn| {
            Box::pin(async move {
                let a = adjustment;
                let update = Sql::new(format!(
                    "UPDATE stock_items SET quantity = quantity + $1, empties = empties + $2, updated_at = $3 \
                     WHERE id = $4 AND quantity + $1 >= 0 AND empties + $2 >= 0 RETURNING {STOCK_COLUMNS}"
                ))
                .bind(a.full_delta)
                .bind(a.empty_delta)
                .bind(at)
                .bind(a.inventory_id);
                let Some(item) = conn.fetch_optional::<StockItem>(update).await? else {
                    let counts: Option<(i64, i64)> = conn
                        .fetch_optional(
                            Sql::new("SELECT quantity, empties FROM stock_items WHERE id = $1").bind(a.inventory_id),
                        )
                        .await?;
                    return Err(match counts {
                        None => Error::not_found("stock item", a.inventory_id),
                        Some((quantity, empties)) => Error::conflict_with(
                            "insufficient_stock",
                            format!(
                                "the item holds {quantity} full and {empties} empty cylinders: \
                                 {:+} full and {:+} empty would go below zero",
                                a.full_delta, a.empty_delta
                            ),
                            serde_json::json!({ "quantity": quantity, "empties": empties,
                                "full_delta": a.full_delta, "empty_delta": a.empty_delta }),
                        ),
                    });
                };
                let insert = Sql::new(format!(
                    "INSERT INTO stock_movements (inventory_id, full_delta, empty_delta, reason, actor_id, note, \
                     created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {MOVEMENT_COLUMNS}"
                ))
                .bind(a.inventory_id)
                .bind(a.full_delta)
                .bind(a.empty_delta)
                .bind(a.reason)
                .bind(actor)
                .bind(a.note.as_deref())
                .bind(at);
                let movement: StockMovement = conn.fetch_one(insert).await?;
                let take = low_stock::Take {
                    inventory_id: item.id,
                    quantity: item.quantity,
                    taken: -a.full_delta,
                    threshold: item.low_stock_threshold,
                    order_id: None,
                    actor: Some(actor),
                    at,
                };
                low_stock::record_if_crossed(&mut conn, take).await?;
                Ok((item, movement))
            })
        })
        .await
    }
}
