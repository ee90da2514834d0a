//! Choosing a seller (issue 13): browsing with each seller's rating, nearest first, and a
//! seller's public profile and reviews.

use super::db::{Record, Sql};
use super::page::select_counted;
use super::row::{record, Col, Row};
use super::stock::STOCK_COLUMNS;
use super::Store;
use crate::commands::browse::{BrowseOrder, BrowseSort};
use crate::commands::{PageRequest, StockFilter};
use crate::domain::{distance_km, DISTRICTS};
use crate::error::Result;
use crate::models::{BrowseItem, Feedback, Paged, SellerProfile, StockItem};

/// The seller's rating columns of a stock item row: one key lookup each in `seller_ratings`,
/// the exact totals kept with every feedback (`count_rating`), rather than averaging all of
/// the seller's reviews for every item shown.
const RATING_COLUMNS: &str = "(SELECT CAST(r.rating_sum AS DOUBLE PRECISION) / r.reviews FROM seller_ratings r \
    WHERE r.seller_id = stock_items.seller_id AND r.reviews > 0) AS seller_rating, \
    COALESCE((SELECT r.reviews FROM seller_ratings r WHERE r.seller_id = stock_items.seller_id), 0) AS seller_reviews";

/// Adds one feedback to its seller's totals, in the caller's unit (the feedback's insert).
pub(super) async fn count_rating(conn: &mut super::db::Conn<'_>, feedback: &Feedback) -> Result<()> {
    let count = Sql::new(
        "INSERT INTO seller_ratings (seller_id, reviews, rating_sum) VALUES ($1, 1, $2) \
         ON CONFLICT (seller_id) DO UPDATE SET reviews = seller_ratings.reviews + 1, \
         rating_sum = seller_ratings.rating_sum + excluded.rating_sum",
    )
    .bind(feedback.seller_id)
    .bind(feedback.rating);
    conn.execute(count).await?;
    Ok(())
}

fn one_decimal(value: Option<f64>) -> Option<f64> {
    value.map(|v| (v * 10.0).round() / 10.0)
}

impl Record for BrowseItem {
    fn decode<R: Row>(row: &R) -> Result<Self> {
        Ok(BrowseItem {
            item: StockItem::decode(row)?,
            seller_rating: one_decimal(row.get(Col::Name("seller_rating"))?),
            seller_reviews: row.get(Col::Name("seller_reviews"))?,
            distance_km: one_decimal(row.get(Col::Name("distance_km"))?),
        })
    }
}

/// Each district's distance from `near`, as a table of literals (constants of
/// domain/district.rs, never client text), so that the statement orders and filters by it.
fn distances_from(near: &crate::domain::District) -> String {
    let rows: Vec<String> = DISTRICTS
        .iter()
        .map(|d| {
            format!(
                "SELECT CAST('{}' AS TEXT) AS name, CAST({:.4} AS DOUBLE PRECISION) AS km",
                d.name,
                distance_km(near, d)
            )
        })
        .collect();
    rows.join(" UNION ALL ")
}

impl Store {
    /// `GET /gas`: items in stock matching `filter`, each with its seller's rating and its
    /// distance from `order.near`, ordered by `order.sort`, in one statement. The default
    /// order (by id) keeps the id-page form of `list_stock`, which scores only the page's rows;
    /// the other orders score every matching row before paging.
    pub async fn browse_stock(
        &self,
        filter: StockFilter,
        order: BrowseOrder,
        page: PageRequest,
    ) -> Result<Paged<BrowseItem>> {
        let dialect = self.dialect();
        let filters = move |sql: &mut Sql| {
            if let Some(brand) = &filter.brand {
                dialect.and_equal_ignoring_case(sql, "brand", brand.into());
            }
            if let Some(weight) = filter.weight {
                sql.push(" AND weight_g = ").push_bind(weight.grams());
            }
            if let Some(location) = &filter.location {
                dialect.and_equal_ignoring_case(sql, "location", location.into());
            }
            sql.push(" AND quantity > 0");
        };
        if order.sort == BrowseSort::Id && order.near.is_none() {
            let columns = format!("{STOCK_COLUMNS}, {RATING_COLUMNS}, CAST(NULL AS DOUBLE PRECISION) AS distance_km");
            return self.fetch_id_page(page, "stock_items", &columns, filters).await;
        }
        let (join, distance) = match order.near {
            Some(near) => (
                format!(" LEFT JOIN ({}) d ON lower(stock_items.location) = lower(d.name)", distances_from(near)),
                "d.km",
            ),
            None => (String::new(), "CAST(NULL AS DOUBLE PRECISION)"),
        };
        let order_by = match order.sort {
            BrowseSort::Id => "b.id",
            BrowseSort::Price => "b.unit_price, b.id",
            BrowseSort::Distance => "(b.distance_km IS NULL), b.distance_km, b.unit_price, b.id",
            BrowseSort::Rating => "(b.seller_rating IS NULL), b.seller_rating DESC, b.seller_reviews DESC, b.id",
        };
        let max_km = order.max_km;
        self.fetch_page(page, |sql, count_only| {
            let columns = format!("{STOCK_COLUMNS}, {RATING_COLUMNS}, {distance} AS distance_km");
            sql.push(&format!(
                "SELECT {} FROM (SELECT {columns} FROM stock_items{join} WHERE 1 = 1",
                if count_only { "COUNT(*)" } else { "b.*, COUNT(*) OVER () AS total" }
            ));
            filters(sql);
            sql.push(") b WHERE 1 = 1");
            if let Some(max) = max_km {
                // A checked, finite number (commands/browse.rs), written as a literal.
                sql.push(&format!(" AND b.distance_km <= {max:.4}"));
            }
            if !count_only {
                sql.push(" ORDER BY ").push(order_by);
            }
        })
        .await
    }

    /// A seller's public profile; `None` when no seller has this id.
    pub async fn seller_profile(&self, id: i64) -> Result<Option<SellerProfile>> {
        struct Head {
            id: i64,
            name: String,
            location: Option<String>,
            rating: Option<f64>,
            reviews: i64,
        }
        record!(Head { id, name, location, rating, reviews });
        let head = Sql::new(
            "SELECT id, name, location, \
             (SELECT CAST(r.rating_sum AS DOUBLE PRECISION) / r.reviews FROM seller_ratings r \
              WHERE r.seller_id = users.id AND r.reviews > 0) AS rating, \
             COALESCE((SELECT r.reviews FROM seller_ratings r WHERE r.seller_id = users.id), 0) AS reviews \
             FROM users WHERE id = $1 AND role = $2",
        )
        .bind(id)
        .bind(crate::domain::Role::Seller);
        let districts = Sql::new("SELECT district FROM seller_zones WHERE seller_id = $1 ORDER BY district").bind(id);
        self.read(move |mut conn| {
            Box::pin(async move {
                let Some(head) = conn.fetch_optional::<Head>(head).await? else { return Ok(None) };
                let districts: Vec<(String,)> = conn.fetch_all(districts).await?;
                Ok(Some(SellerProfile {
                    id: head.id,
                    name: head.name,
                    location: head.location,
                    rating: one_decimal(head.rating),
                    reviews: head.reviews,
                    districts: districts.into_iter().map(|(d,)| d).collect(),
                }))
            })
        })
        .await
    }

    /// A seller's reviews, newest first.
    pub async fn seller_feedback(&self, seller_id: i64, page: PageRequest) -> Result<Paged<Feedback>> {
        self.fetch_page(page, |sql, count_only| {
            select_counted(
                sql,
                count_only,
                "id, order_id, buyer_id, seller_id, rating, comment, created_at",
                "feedback",
            );
            sql.push(" WHERE seller_id = ").push_bind(seller_id);
            if !count_only {
                sql.push(" ORDER BY id DESC");
            }
        })
        .await
    }
}
