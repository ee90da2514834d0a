-- Sign-in and sign-up throttling counters, shared by every server instance on the database
-- (gasstock-core/src/domain/throttle.rs is the rule, store/throttle.rs the queries). One row
-- per key (`login:<client>:<email>`, `login-client:<client>`, `register:<client>`); times are
-- milliseconds since the Unix epoch. Rows past `expires_ms` are deleted as new keys arrive.
CREATE TABLE throttle_counters (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);
CREATE INDEX throttle_counters_expiry ON throttle_counters (expires_ms);
