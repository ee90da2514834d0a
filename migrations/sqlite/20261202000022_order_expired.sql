-- The order status 'expired' (issue 12). SQLite cannot alter a CHECK constraint, and
-- rebuilding `orders` would mean dropping a table every other table references. Widening the
-- list of allowed values changes no stored row, so the constraint's text is edited in the
-- schema itself, the procedure SQLite documents for such changes ("ALTER TABLE", section
-- "Making Other Kinds Of Table Schema Changes"); the store's connections, opened after the
-- migrations, read the new schema.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql, '''invoiced'', ''delivered'')', '''invoiced'', ''delivered'', ''expired'')')
 WHERE type = 'table' AND name = 'orders';
PRAGMA writable_schema = OFF;
