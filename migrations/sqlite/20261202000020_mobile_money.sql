-- Mobile money (issue 12). Orders placed before this migration were paid cash on delivery,
-- so that is the default every existing row gets; payer_phone is only set for mobile money.
ALTER TABLE orders ADD COLUMN payment_method TEXT NOT NULL DEFAULT 'cash_on_delivery'
    CHECK (payment_method IN ('cash_on_delivery', 'mobile_money'));
ALTER TABLE orders ADD COLUMN payer_phone TEXT;

-- One row per request-to-pay sent to the provider. The reference (X-Reference-Id) is written
-- here before the request is sent, so a crash after sending leaves a row to read the status of,
-- never a request nobody knows about. sent_at is set once the provider has accepted it.
CREATE TABLE collections (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id                INTEGER NOT NULL REFERENCES orders (id),
    reference               TEXT    NOT NULL UNIQUE,
    amount                  INTEGER NOT NULL CHECK (amount >= 0),
    currency                TEXT    NOT NULL,
    payer_phone             TEXT    NOT NULL,
    status                  TEXT    NOT NULL CHECK (status IN ('requested', 'collected', 'failed')),
    reason                  TEXT,
    provider_transaction_id TEXT,
    requested_at            TEXT    NOT NULL,
    sent_at                 TEXT,
    decided_at              TEXT,
    checked_at              TEXT
);
-- At most one request that is not failed per order: an order is never collected twice.
CREATE UNIQUE INDEX collections_one_live ON collections (order_id) WHERE status <> 'failed';
CREATE INDEX collections_open ON collections (status, checked_at);
