-- Drivers and dispatch (issue 13). SQLite cannot change a CHECK constraint in place, so
-- `users` (role gains 'driver') and `orders` (status gains 'out_for_delivery' and 'failed')
-- are rebuilt by SQLite's procedure (https://www.sqlite.org/lang_altertable.html, "Making
-- Other Kinds Of Table Schema Changes"): new table, copy every row with its id, drop the old
-- one, rename the new one, indexes back. The store runs its migrations with foreign keys
-- off (store/sqlite.rs), as the procedure requires: the other tables' REFERENCES name
-- `users` and `orders` and keep pointing at the rebuilt tables. (With foreign keys on,
-- the DROP fails and the whole migration rolls back: it cannot half-apply.) Every row and
-- id carries forward, and so does each AUTOINCREMENT sequence.
--
-- The copies are `SELECT *` on purpose: the new tables list the columns of the old ones in
-- their order, and should an earlier migration (another branch's) have added a column to
-- `users` or `orders`, the copy fails loudly (a column count mismatch) instead of dropping
-- it; add that column (and any new status or role) to the CREATE TABLE here.


CREATE TABLE users_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('buyer', 'seller', 'admin', 'driver')),
    phone         TEXT,
    location      TEXT,
    password_hash TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    payout_phone  TEXT
);
INSERT INTO users_new SELECT * FROM users;
DELETE FROM sqlite_sequence WHERE name = 'users_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'users_new', seq FROM sqlite_sequence WHERE name = 'users';
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_role ON users (role, id);

CREATE TABLE orders_new (
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
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled', 'invoiced', 'delivered', 'expired', 'out_for_delivery', 'failed')),
    delivery_address TEXT,
    note             TEXT,
    idempotency_key  TEXT,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    -- added by 20261202000010_cylinders and 20261202000020_mobile_money, in that order
    kind             TEXT    NOT NULL DEFAULT 'refill' CHECK (kind IN ('refill', 'new')),
    deposit_amount   INTEGER NOT NULL DEFAULT 0 CHECK (deposit_amount >= 0),
    payment_method   TEXT    NOT NULL DEFAULT 'cash_on_delivery'
        CHECK (payment_method IN ('cash_on_delivery', 'mobile_money')),
    payer_phone      TEXT
);
INSERT INTO orders_new SELECT * FROM orders;
DELETE FROM sqlite_sequence WHERE name = 'orders_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'orders_new', seq FROM sqlite_sequence WHERE name = 'orders';
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
CREATE UNIQUE INDEX orders_idempotency ON orders (buyer_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX orders_buyer ON orders (buyer_id, id);
CREATE INDEX orders_seller ON orders (seller_id, status, id);
CREATE INDEX orders_status ON orders (status, id);
CREATE INDEX orders_inventory ON orders (inventory_id);


-- A driver belongs to one seller; a disabled driver cannot be dispatched to nor deliver.
CREATE TABLE drivers (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id),
    seller_id  INTEGER NOT NULL REFERENCES users (id),
    disabled   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT    NOT NULL
);
CREATE INDEX drivers_seller ON drivers (seller_id, user_id);

-- One row per dispatch of an order: a re-dispatch adds a row, and the latest is the live
-- one. The handover code is kept only as a salted HMAC-SHA256 (domain/handover.rs).
CREATE TABLE dispatches (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id      INTEGER NOT NULL REFERENCES orders (id),
    seller_id     INTEGER NOT NULL REFERENCES users (id),
    driver_id     INTEGER NOT NULL REFERENCES users (id),
    code_salt     TEXT    NOT NULL,
    code_hash     TEXT    NOT NULL,
    wrong_codes   INTEGER NOT NULL DEFAULT 0 CHECK (wrong_codes >= 0),
    dispatched_at TEXT    NOT NULL,
    failed_at     TEXT,
    fail_reason   TEXT
);
CREATE INDEX dispatches_order ON dispatches (order_id, id);
CREATE INDEX dispatches_driver ON dispatches (driver_id, id);
