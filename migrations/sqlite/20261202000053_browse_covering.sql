-- Browsing by distance, price or rating (issue 13) ranks every item matching brand and weight
-- on its location, price and seller: with those in the browse index the ranking and the count
-- read the index alone, not one table row per match (2,263 matches: 2 ms against 5 ms). The
-- leading columns are those of before, so the filtered page by id reads it as it did.
DROP INDEX stock_items_browse;
CREATE INDEX stock_items_browse ON stock_items (brand, weight_g, location, id, unit_price, seller_id)
    WHERE quantity > 0;
