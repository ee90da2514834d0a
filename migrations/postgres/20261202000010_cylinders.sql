-- Cylinders as LPG is sold (issue 11): full and empty counts, deposits, a stock ledger,
-- empty returns, deposit balances and price history. Existing rows carry forward with
-- today's behaviour: no empties, no deposit, no threshold, every order a refill.

ALTER TABLE stock_items ADD COLUMN empties BIGINT  NOT NULL DEFAULT 0 CHECK (empties >= 0);
ALTER TABLE stock_items ADD COLUMN deposit BIGINT  NOT NULL DEFAULT 0 CHECK (deposit >= 0);
ALTER TABLE stock_items ADD COLUMN low_stock_threshold BIGINT  CHECK (low_stock_threshold >= 0);

ALTER TABLE orders ADD COLUMN kind TEXT NOT NULL DEFAULT 'refill' CHECK (kind IN ('refill', 'new'));
-- quantity x the item's deposit when the order was placed (new cylinders), else 0; part of total_amount.
ALTER TABLE orders ADD COLUMN deposit_amount BIGINT  NOT NULL DEFAULT 0 CHECK (deposit_amount >= 0);
ALTER TABLE invoices ADD COLUMN deposit_amount BIGINT  NOT NULL DEFAULT 0 CHECK (deposit_amount >= 0);

-- The append-only stock ledger: one line per change of quantity or empties, written in the
-- transaction of the change.
CREATE TABLE stock_movements (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    inventory_id BIGINT  NOT NULL REFERENCES stock_items (id),
    full_delta   BIGINT  NOT NULL,
    empty_delta  BIGINT  NOT NULL,
    reason       TEXT    NOT NULL CHECK (reason IN ('opening', 'upsert', 'import', 'placed', 'rejected',
                     'cancelled', 'expired', 'delivered', 'returned', 'refill', 'damaged', 'lost', 'found',
                     'stocktake', 'correction')),
    order_id     BIGINT  REFERENCES orders (id),
    return_id    BIGINT,
    actor_id     BIGINT  REFERENCES users (id),
    note         TEXT,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX stock_movements_item ON stock_movements (inventory_id, id);
-- Every item's ledger starts with what it holds today, so counts = sum of deltas from the start.
INSERT INTO stock_movements (inventory_id, full_delta, empty_delta, reason, note, created_at)
    SELECT id, quantity, 0, 'opening', 'carried forward', updated_at FROM stock_items;

-- A buyer hands back empties they hold deposits for; the seller or an admin settles it.
CREATE TABLE cylinder_returns (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    buyer_id         BIGINT  NOT NULL REFERENCES users (id),
    seller_id        BIGINT  NOT NULL REFERENCES users (id),
    inventory_id     BIGINT  NOT NULL REFERENCES stock_items (id),
    quantity         BIGINT  NOT NULL CHECK (quantity > 0),
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
    good             BIGINT  CHECK (good >= 0),
    damaged          BIGINT  CHECK (damaged >= 0),
    deposit_released BIGINT  NOT NULL DEFAULT 0 CHECK (deposit_released >= 0),
    refund_amount    BIGINT  NOT NULL DEFAULT 0 CHECK (refund_amount >= 0),
    decided_by       BIGINT  REFERENCES users (id),
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX cylinder_returns_buyer ON cylinder_returns (buyer_id, id);
CREATE INDEX cylinder_returns_seller ON cylinder_returns (seller_id, id);

-- Deposits held: per buyer and stock item, the cylinders and the money; `pending` cylinders are
-- promised to returns not yet settled.
CREATE TABLE deposit_balances (
    buyer_id     BIGINT  NOT NULL REFERENCES users (id),
    inventory_id BIGINT  NOT NULL REFERENCES stock_items (id),
    seller_id    BIGINT  NOT NULL REFERENCES users (id),
    cylinders    BIGINT  NOT NULL CHECK (cylinders >= 0),
    amount       BIGINT  NOT NULL CHECK (amount >= 0),
    pending      BIGINT  NOT NULL DEFAULT 0 CHECK (pending >= 0 AND pending <= cylinders),
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (buyer_id, inventory_id)
);
CREATE INDEX deposit_balances_seller ON deposit_balances (seller_id, buyer_id);
-- Each change of a balance: + on a delivered new-cylinder order, - on a settled return.
CREATE TABLE deposit_entries (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    buyer_id     BIGINT  NOT NULL REFERENCES users (id),
    seller_id    BIGINT  NOT NULL REFERENCES users (id),
    inventory_id BIGINT  NOT NULL REFERENCES stock_items (id),
    cylinders    BIGINT  NOT NULL,
    amount       BIGINT  NOT NULL,
    order_id     BIGINT  REFERENCES orders (id),
    return_id    BIGINT  REFERENCES cylinder_returns (id),
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX deposit_entries_buyer ON deposit_entries (buyer_id, inventory_id, id);

-- Every unit price and deposit an item had, from the first one.
CREATE TABLE stock_prices (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    inventory_id BIGINT  NOT NULL REFERENCES stock_items (id),
    unit_price   BIGINT  NOT NULL,
    deposit      BIGINT  NOT NULL,
    currency     TEXT    NOT NULL,
    actor_id     BIGINT  REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX stock_prices_item ON stock_prices (inventory_id, id);
INSERT INTO stock_prices (inventory_id, unit_price, deposit, currency, created_at)
    SELECT id, unit_price, deposit, currency, updated_at FROM stock_items;
