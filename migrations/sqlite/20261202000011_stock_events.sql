-- Stock events (`stock.low`): a status event may now concern a stock item rather than an
-- order. `status_events.entity` gains 'stock' (the item's id is `entity_id`), and
-- `order_id` becomes nullable on both status_events and notifications (set when an order
-- caused the event, NULL for an adjustment); notifications gain `inventory_id`.
-- SQLite cannot alter a CHECK or a NOT NULL: both tables are rebuilt with their rows, ids and
-- indexes, following https://sqlite.org/lang_altertable.html (the store's migrator runs with
-- foreign keys off and checks them after the last migration: notifications and
-- webhook_deliveries reference status_events, whose old copy must be dropped).

CREATE TABLE status_events_rebuilt (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    entity      TEXT    NOT NULL CHECK (entity IN ('order', 'invoice', 'payment', 'stock')),
    entity_id   INTEGER NOT NULL,
    order_id    INTEGER REFERENCES orders (id),
    actor_id    INTEGER REFERENCES users (id),
    from_status TEXT,
    to_status   TEXT    NOT NULL,
    reason      TEXT,
    created_at  TEXT    NOT NULL,
    webhook_dispatched_at TEXT,
    CHECK (order_id IS NOT NULL OR entity = 'stock')
);
INSERT INTO status_events_rebuilt (id, entity, entity_id, order_id, actor_id, from_status, to_status, reason,
    created_at, webhook_dispatched_at)
SELECT id, entity, entity_id, order_id, actor_id, from_status, to_status, reason, created_at, webhook_dispatched_at
FROM status_events;
DROP TABLE status_events;
ALTER TABLE status_events_rebuilt RENAME TO status_events;
CREATE INDEX status_events_order ON status_events (order_id, id);
CREATE INDEX status_events_undispatched ON status_events (id) WHERE webhook_dispatched_at IS NULL;

CREATE TABLE notifications_rebuilt (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    event_id     INTEGER NOT NULL REFERENCES status_events (id),
    event        TEXT NOT NULL,
    order_id     INTEGER REFERENCES orders (id),
    invoice_id   INTEGER,
    payment_id   INTEGER,
    title        TEXT NOT NULL,
    message      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    read_at      TEXT,
    inventory_id INTEGER REFERENCES stock_items (id)
);
INSERT INTO notifications_rebuilt (id, user_id, event_id, event, order_id, invoice_id, payment_id, title, message,
    created_at, read_at)
SELECT id, user_id, event_id, event, order_id, invoice_id, payment_id, title, message, created_at, read_at
FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_rebuilt RENAME TO notifications;
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id, id) WHERE read_at IS NULL;

-- The copies keep their ids; AUTOINCREMENT's counters follow the renamed tables, so no id
-- is handed out twice.

