-- Failed sign-ins and refreshes, counted per key (an account, an account from one address, an
-- address). Past a free number, each failure makes the next attempt wait longer. The key is a
-- SHA-256 hash: no email or address is stored here.
CREATE TABLE throttles (
    throttle_key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL CHECK (failures >= 0),
    last_at TIMESTAMP NOT NULL,
    blocked_until TIMESTAMP
);
CREATE INDEX throttles_last_at ON throttles (last_at);

-- Creation requests by Idempotency-Key, for every kind of creation: the same key, route and body
-- get the first answer again. Replaces the contracts-only table.
CREATE TABLE idempotent_requests (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organization_id, idempotency_key)
);
INSERT INTO idempotent_requests (organization_id, idempotency_key, request_hash, response_body, created_at)
SELECT organization_id, idempotency_key, request_hash, response_body, created_at FROM idempotency_keys;
DROP TABLE idempotency_keys;
