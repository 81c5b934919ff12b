-- The change feed: every event a partner system may follow, in the order it was committed. SQLite
-- lets one writer in at a time, so the sequence is the commit order; `tx` is always 0 here.
-- PostgreSQL's shift of transaction ids after a restore; SQLite has none (kept at 0).
CREATE TABLE feed_clock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    shift BIGINT NOT NULL
);
INSERT INTO feed_clock (id, shift) VALUES (1, 0);

CREATE TABLE feed_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tx BIGINT NOT NULL DEFAULT 0,
    id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    season_id TEXT NOT NULL,
    record_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    record_version BIGINT,
    contract_id TEXT,
    status TEXT,
    -- Who sees the event, as for a contract: its client, the client's office, the client's
    -- country (tawafa establishments), its provider; a recipient makes it private to one body.
    client_id TEXT,
    client_office_id TEXT,
    client_country TEXT,
    provider_id TEXT,
    recipient_id TEXT
);
CREATE INDEX feed_events_position ON feed_events (tx, seq);

-- The last readiness the feed told of, per client and season: a change is published only when the
-- readiness differs from it; `version` counts the changes.
CREATE TABLE readiness_marks (
    season_id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    fingerprint TEXT NOT NULL,
    PRIMARY KEY (season_id, organization_id)
);
