//! The reviews of a seeded chunk of orders (part of [`super::Bulk::seed`]): buyers rate half
//! of their delivered orders (1 to 5 stars, spread by order id), and each seller's totals in
//! `seller_ratings` grow by exactly those rows, as `count_rating` does for a live review, so
//! that browsing a seeded database shows ratings the way a running marketplace would.

use super::db::{Conn, Sql};
use crate::domain::OrderStatus;
use crate::error::Result;

/// Seeds the reviews of orders `first..=last`; returns the reviews written.
pub(super) async fn seed_reviews(conn: &mut Conn<'_>, first: i64, last: i64) -> Result<u64> {
    // Ratings 1..5 weighted towards the good ones (2, 3, 4, 4, 5, 5, 5 by id), like real shops.
    let reviews = Sql::new(
        "INSERT INTO feedback (order_id, buyer_id, seller_id, rating, comment, created_at) \
         SELECT id, buyer_id, seller_id, CASE id % 7 WHEN 0 THEN 2 WHEN 1 THEN 3 WHEN 2 THEN 4 WHEN 3 THEN 4 \
         ELSE 5 END, NULL, updated_at FROM orders WHERE id BETWEEN $1 AND $2 AND status = $3 AND id % 2 = 0 \
         ORDER BY id",
    );
    let written = conn.execute(reviews.bind(first).bind(last).bind(OrderStatus::Delivered)).await?;
    let totals = Sql::new(
        "INSERT INTO seller_ratings (seller_id, reviews, rating_sum) \
         SELECT seller_id, COUNT(*), SUM(rating) FROM feedback WHERE order_id BETWEEN $1 AND $2 GROUP BY seller_id \
         ON CONFLICT (seller_id) DO UPDATE SET reviews = seller_ratings.reviews + excluded.reviews, \
         rating_sum = seller_ratings.rating_sum + excluded.rating_sum",
    );
    conn.execute(totals.bind(first).bind(last)).await?;
    Ok(written)
}
