-- Seller payouts of mobile-money orders (issue 12). payout_phone: the seller's mobile-money
-- number for payouts; existing users have none until they set it.
ALTER TABLE users ADD COLUMN payout_phone TEXT;

-- One payout per delivered mobile-money order: the collected amount less the marketplace's
-- commission. The reference (X-Reference-Id of the transfer) is written before the transfer
-- is sent; attempts > 0 with status 'queued' means an attempt's outcome is unknown, and the
-- payer reads the transfer's status by that reference before it sends anything.
CREATE TABLE payouts (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id                INTEGER NOT NULL UNIQUE REFERENCES orders (id),
    seller_id               INTEGER NOT NULL REFERENCES users (id),
    reference               TEXT    NOT NULL UNIQUE,
    collected               INTEGER NOT NULL CHECK (collected >= 0),
    commission              INTEGER NOT NULL CHECK (commission >= 0),
    deposit_held            INTEGER NOT NULL DEFAULT 0 CHECK (deposit_held >= 0),
    amount                  INTEGER NOT NULL CHECK (amount >= 0),
    currency                TEXT    NOT NULL,
    status                  TEXT    NOT NULL CHECK (status IN ('queued', 'sent', 'paid', 'failed')),
    attempts                INTEGER NOT NULL DEFAULT 0,
    next_attempt_at         TEXT    NOT NULL,
    last_error              TEXT,
    provider_transaction_id TEXT,
    created_at              TEXT    NOT NULL,
    updated_at              TEXT    NOT NULL,
    CHECK (amount + commission + deposit_held = collected)
);
CREATE INDEX payouts_due ON payouts (status, next_attempt_at);
CREATE INDEX payouts_seller ON payouts (seller_id, id);
