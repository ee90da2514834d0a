-- The unfiltered browse (`GET /gas`, items in stock, by id): its window count and OFFSET walk
-- this index of ids alone (index-only scan) instead of the table (see `list_stock`).
CREATE INDEX stock_items_in_stock ON stock_items (id) WHERE quantity > 0;
