-- gasstock schema, PostgreSQL.

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT        NOT NULL UNIQUE,
    name          TEXT        NOT NULL,
    role          TEXT        NOT NULL CHECK (role IN ('buyer', 'seller', 'admin')),
    phone         TEXT,
    location      TEXT,
    password_hash TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX users_role ON users (role, id);

-- brand and location compare case-insensitively: the key and the filters use lower().
CREATE TABLE stock_items (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seller_id  BIGINT      NOT NULL REFERENCES users (id),
    brand      TEXT        NOT NULL,
    weight_g   BIGINT      NOT NULL CHECK (weight_g > 0),
    location   TEXT        NOT NULL,
    quantity   BIGINT      NOT NULL CHECK (quantity >= 0),
    unit_price BIGINT      NOT NULL CHECK (unit_price >= 0),
    currency   TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX stock_items_key ON stock_items (seller_id, lower(brand), weight_g, lower(location));
CREATE INDEX stock_items_browse ON stock_items (lower(brand), weight_g, lower(location), id) WHERE quantity > 0;
CREATE INDEX stock_items_weight ON stock_items (weight_g, id) WHERE quantity > 0;
CREATE INDEX stock_items_location ON stock_items (lower(location), id) WHERE quantity > 0;

CREATE TABLE orders (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    buyer_id         BIGINT      NOT NULL REFERENCES users (id),
    seller_id        BIGINT      NOT NULL REFERENCES users (id),
    inventory_id     BIGINT      NOT NULL REFERENCES stock_items (id),
    brand            TEXT        NOT NULL,
    weight_g         BIGINT      NOT NULL,
    location         TEXT        NOT NULL,
    quantity         BIGINT      NOT NULL CHECK (quantity > 0),
    unit_price       BIGINT      NOT NULL CHECK (unit_price >= 0),
    total_amount     BIGINT      NOT NULL CHECK (total_amount >= 0),
    currency         TEXT        NOT NULL,
    status           TEXT        NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled', 'invoiced', 'delivered')),
    delivery_address TEXT,
    note             TEXT,
    idempotency_key  TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX orders_idempotency ON orders (buyer_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX orders_buyer ON orders (buyer_id, id);
CREATE INDEX orders_seller ON orders (seller_id, status, id);
CREATE INDEX orders_status ON orders (status, id);
CREATE INDEX orders_inventory ON orders (inventory_id);

CREATE TABLE invoices (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id     BIGINT      NOT NULL REFERENCES orders (id),
    seller_id    BIGINT      NOT NULL REFERENCES users (id),
    amount       BIGINT      NOT NULL CHECK (amount >= 0),
    delivery_fee BIGINT      NOT NULL CHECK (delivery_fee >= 0),
    currency     TEXT        NOT NULL,
    status       TEXT        NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    notes        TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
-- A rejected invoice may be followed by a new one; otherwise one invoice per order.
CREATE UNIQUE INDEX invoices_live_per_order ON invoices (order_id) WHERE status <> 'rejected';
CREATE INDEX invoices_status ON invoices (status, id);

CREATE TABLE payments (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    BIGINT      NOT NULL UNIQUE REFERENCES orders (id),
    invoice_id  BIGINT      NOT NULL REFERENCES invoices (id),
    seller_id   BIGINT      NOT NULL REFERENCES users (id),
    amount      BIGINT      NOT NULL CHECK (amount >= 0),
    currency    TEXT        NOT NULL,
    status      TEXT        NOT NULL CHECK (status IN ('released')),
    released_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE feedback (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id   BIGINT      NOT NULL UNIQUE REFERENCES orders (id),
    buyer_id   BIGINT      NOT NULL REFERENCES users (id),
    seller_id  BIGINT      NOT NULL REFERENCES users (id),
    rating     BIGINT      NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment    TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX feedback_seller ON feedback (seller_id);

-- The outbox: every status change, in the transaction that made it.
CREATE TABLE status_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity      TEXT        NOT NULL CHECK (entity IN ('order', 'invoice', 'payment')),
    entity_id   BIGINT      NOT NULL,
    order_id    BIGINT      NOT NULL REFERENCES orders (id),
    actor_id    BIGINT      REFERENCES users (id),
    from_status TEXT,
    to_status   TEXT        NOT NULL,
    reason      TEXT,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX status_events_order ON status_events (order_id, id);

CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at TIMESTAMPTZ NOT NULL
);
