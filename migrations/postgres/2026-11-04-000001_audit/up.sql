-- The audit log (DOMAIN.md section 8). Events are written in the transaction of the change they
-- record; a sealer then chains them: each sealed event holds the hash of the one before it.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    seq BIGINT UNIQUE,
    at TIMESTAMP NOT NULL,
    actor_user_id TEXT,
    actor_api_key_id TEXT,
    organization_id TEXT,
    action TEXT NOT NULL,
    entity_id TEXT,
    request_id TEXT,
    prev_hash TEXT,
    hash TEXT
);
CREATE INDEX audit_events_entity ON audit_events (entity_id);
CREATE INDEX audit_events_organization ON audit_events (organization_id);
CREATE INDEX audit_events_unsealed ON audit_events (seq, id);

-- The end of the chain: the last sealed event's number and hash. One row.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
