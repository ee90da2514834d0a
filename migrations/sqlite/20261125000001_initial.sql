-- gasstock schema, SQLite. Timestamps are RFC 3339 text written by the application.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('buyer', 'seller', 'admin')),
    phone         TEXT,
    location      TEXT,
    password_hash TEXT    NOT NULL,
    created_at    TEXT    NOT NULL
);
CREATE INDEX users_role ON users (role, id);

-- brand and location compare case-insensitively everywhere (key, filters, index).
CREATE TABLE stock_items (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    seller_id  INTEGER NOT NULL REFERENCES users (id),
    brand      TEXT    NOT NULL COLLATE NOCASE,
    weight_g   INTEGER NOT NULL CHECK (weight_g > 0),
    location   TEXT    NOT NULL COLLATE NOCASE,
    quantity   INTEGER NOT NULL CHECK (quantity >= 0),
    unit_price INTEGER NOT NULL CHECK (unit_price >= 0),
    currency   TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    UNIQUE (seller_id, brand, weight_g, location)
);
CREATE INDEX stock_items_browse ON stock_items (brand, weight_g, location, id) WHERE quantity > 0;
CREATE INDEX stock_items_weight ON stock_items (weight_g, id) WHERE quantity > 0;
CREATE INDEX stock_items_location ON stock_items (location, id) WHERE quantity > 0;

CREATE TABLE orders (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    buyer_id         INTEGER NOT NULL REFERENCES users (id),
    seller_id        INTEGER NOT NULL REFERENCES users (id),
    inventory_id     INTEGER NOT NULL REFERENCES stock_items (id),
    brand            TEXT    NOT NULL,
    weight_g         INTEGER NOT NULL,
    location         TEXT    NOT NULL,
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_price       INTEGER NOT NULL CHECK (unit_price >= 0),
    total_amount     INTEGER NOT NULL CHECK (total_amount >= 0),
    currency         TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled', 'invoiced', 'delivered')),
    delivery_address TEXT,
    note             TEXT,
    idempotency_key  TEXT,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL
);
CREATE UNIQUE INDEX orders_idempotency ON orders (buyer_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX orders_buyer ON orders (buyer_id, id);
CREATE INDEX orders_seller ON orders (seller_id, status, id);
CREATE INDEX orders_status ON orders (status, id);
CREATE INDEX orders_inventory ON orders (inventory_id);

CREATE TABLE invoices (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id     INTEGER NOT NULL REFERENCES orders (id),
    seller_id    INTEGER NOT NULL REFERENCES users (id),
    amount       INTEGER NOT NULL CHECK (amount >= 0),
    delivery_fee INTEGER NOT NULL CHECK (delivery_fee >= 0),
    currency     TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    notes        TEXT,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
);
-- A rejected invoice may be followed by a new one; otherwise one invoice per order.
CREATE UNIQUE INDEX invoices_live_per_order ON invoices (order_id) WHERE status <> 'rejected';
CREATE INDEX invoices_status ON invoices (status, id);

CREATE TABLE payments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id    INTEGER NOT NULL UNIQUE REFERENCES orders (id),
    invoice_id  INTEGER NOT NULL REFERENCES invoices (id),
    seller_id   INTEGER NOT NULL REFERENCES users (id),
    amount      INTEGER NOT NULL CHECK (amount >= 0),
    currency    TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('released')),
    released_at TEXT    NOT NULL
);

CREATE TABLE feedback (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id   INTEGER NOT NULL UNIQUE REFERENCES orders (id),
    buyer_id   INTEGER NOT NULL REFERENCES users (id),
    seller_id  INTEGER NOT NULL REFERENCES users (id),
    rating     INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment    TEXT,
    created_at TEXT    NOT NULL
);
CREATE INDEX feedback_seller ON feedback (seller_id);

-- The outbox: every status change, in the transaction that made it.
CREATE TABLE status_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    entity      TEXT    NOT NULL CHECK (entity IN ('order', 'invoice', 'payment')),
    entity_id   INTEGER NOT NULL,
    order_id    INTEGER NOT NULL REFERENCES orders (id),
    actor_id    INTEGER REFERENCES users (id),
    from_status TEXT,
    to_status   TEXT    NOT NULL,
    reason      TEXT,
    created_at  TEXT    NOT NULL
);
CREATE INDEX status_events_order ON status_events (order_id, id);

CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at TEXT NOT NULL
);
