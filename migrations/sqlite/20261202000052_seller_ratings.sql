-- Each seller's review count and rating sum (issue 13), kept exact: written in the same
-- transaction as each feedback (feedback is never changed nor deleted), so that browsing
-- shows ratings with one key lookup per item instead of averaging every review of the
-- seller. Filled from the feedback given before.
CREATE TABLE seller_ratings (
    seller_id  INTEGER NOT NULL PRIMARY KEY REFERENCES users (id),
    reviews    INTEGER NOT NULL CHECK (reviews >= 0),
    rating_sum INTEGER NOT NULL CHECK (rating_sum >= 0)
);
INSERT INTO seller_ratings (seller_id, reviews, rating_sum)
    SELECT seller_id, COUNT(*), SUM(rating) FROM feedback GROUP BY seller_id;
