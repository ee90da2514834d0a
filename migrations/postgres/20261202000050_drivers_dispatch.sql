-- Drivers and dispatch (issue 13): the role 'driver', the order statuses 'out_for_delivery'
-- and 'failed', the drivers of each seller and the dispatches of each order.
-- Merging: a status or role another migration added must be in these lists too.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('buyer', 'seller', 'admin', 'driver'));
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check
    CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled', 'invoiced', 'delivered', 'expired', 'out_for_delivery', 'failed'));

-- A driver belongs to one seller; a disabled driver cannot be dispatched to nor deliver.
CREATE TABLE drivers (
    user_id    BIGINT      PRIMARY KEY REFERENCES users (id),
    seller_id  BIGINT      NOT NULL REFERENCES users (id),
    disabled   BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX drivers_seller ON drivers (seller_id, user_id);

-- One row per dispatch of an order: a re-dispatch adds a row, and the latest is the live
-- one. The handover code is kept only as a salted HMAC-SHA256 (domain/handover.rs).
CREATE TABLE dispatches (
    id            BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id      BIGINT      NOT NULL REFERENCES orders (id),
    seller_id     BIGINT      NOT NULL REFERENCES users (id),
    driver_id     BIGINT      NOT NULL REFERENCES users (id),
    code_salt     TEXT        NOT NULL,
    code_hash     TEXT        NOT NULL,
    wrong_codes   BIGINT      NOT NULL DEFAULT 0 CHECK (wrong_codes >= 0),
    dispatched_at TIMESTAMPTZ NOT NULL,
    failed_at     TIMESTAMPTZ,
    fail_reason   TEXT
);
CREATE INDEX dispatches_order ON dispatches (order_id, id);
CREATE INDEX dispatches_driver ON dispatches (driver_id, id);
