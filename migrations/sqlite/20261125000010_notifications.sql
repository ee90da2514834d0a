-- Notifications, derived from status events in the same transaction as the change.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    event_id   INTEGER NOT NULL REFERENCES status_events (id),
    event      TEXT NOT NULL,
    order_id   INTEGER NOT NULL REFERENCES orders (id),
    invoice_id INTEGER,
    payment_id INTEGER,
    title      TEXT NOT NULL,
    message    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at    TEXT
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id, id) WHERE read_at IS NULL;
