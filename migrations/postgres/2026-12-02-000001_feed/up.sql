-- The change feed: every event a partner system may follow, in the order the transactions that
-- made them committed. `tx` is the writing transaction's id: a reader only takes events of
-- transactions older than every transaction still running, so none can commit behind a cursor.
-- Transaction ids are the cluster's: restored into another cluster, the feed's ids would restart
-- lower; `shift` (raised at start-up when needed, see `storage::feed::realign`) keeps them rising.
CREATE TABLE feed_clock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    shift BIGINT NOT NULL
);
INSERT INTO feed_clock (id, shift) VALUES (1, 0);

-- The feed's id of the current transaction.
CREATE FUNCTION feed_tx() RETURNS BIGINT LANGUAGE sql VOLATILE AS $$
    SELECT pg_current_xact_id()::text::bigint + (SELECT shift FROM feed_clock WHERE id = 1)
$$;

-- Events of transactions below this are final: every transaction still running is at or above it.
CREATE FUNCTION feed_settled() RETURNS BIGINT LANGUAGE sql STABLE AS $$
    SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint
        + (SELECT shift FROM feed_clock WHERE id = 1)
$$;

CREATE TABLE feed_events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tx BIGINT NOT NULL DEFAULT feed_tx(),
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
