CREATE TABLE idempotency_keys (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    contract_id TEXT NOT NULL REFERENCES contracts (id),
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organization_id, idempotency_key)
);
DROP TABLE idempotent_requests;
DROP TABLE throttles;
