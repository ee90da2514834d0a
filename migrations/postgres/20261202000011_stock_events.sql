-- Stock events (`stock.low`): a status event may now concern a stock item rather than an
-- order. `status_events.entity` gains 'stock' (the item's id is `entity_id`), and
-- `order_id` becomes nullable on both status_events and notifications (set when an order
-- caused the event, NULL for an adjustment); notifications gain `inventory_id`.
ALTER TABLE status_events DROP CONSTRAINT status_events_entity_check;
ALTER TABLE status_events ADD CONSTRAINT status_events_entity_check
    CHECK (entity IN ('order', 'invoice', 'payment', 'stock'));
ALTER TABLE status_events ALTER COLUMN order_id DROP NOT NULL;
ALTER TABLE status_events ADD CONSTRAINT status_events_order_or_stock
    CHECK (order_id IS NOT NULL OR entity = 'stock');
ALTER TABLE notifications ALTER COLUMN order_id DROP NOT NULL;
ALTER TABLE notifications ADD COLUMN inventory_id BIGINT REFERENCES stock_items (id);
