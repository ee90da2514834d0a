-- Stream tickets: short-lived, single-use credentials for `GET /notifications/stream?ticket=`
-- (a browser's EventSource cannot send an Authorization header). Only the SHA-256 of a ticket
-- is stored; redeeming it deletes its row (`DELETE ... WHERE hash = $1 AND expires_at > now
-- RETURNING`), so each ticket opens one stream, on whichever instance sees it first. The row
-- keeps the id and expiry of the token that asked for it: the stream ends with that token.
-- Expired rows are deleted as new tickets are issued (gasstock-core/src/store/stream_tickets.rs).
CREATE TABLE stream_tickets (
    hash             TEXT PRIMARY KEY NOT NULL,
    user_id          INTEGER NOT NULL REFERENCES users (id),
    token_id         TEXT NOT NULL,
    token_expires_at TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX stream_tickets_expiry ON stream_tickets (expires_at);
