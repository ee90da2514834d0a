-- Notifications, derived from status events in the same transaction as the change.
CREATE TABLE notifications (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    event_id   BIGINT NOT NULL REFERENCES status_events (id),
    event      TEXT NOT NULL,
    order_id   BIGINT NOT NULL REFERENCES orders (id),
    invoice_id BIGINT,
    payment_id BIGINT,
    title      TEXT NOT NULL,
    message    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    read_at    TIMESTAMPTZ
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id, id) WHERE read_at IS NULL;
