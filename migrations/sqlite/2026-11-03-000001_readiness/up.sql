-- A client's pilgrims travelling together, with their itinerary (DOMAIN.md section 5).
CREATE TABLE pilgrim_groups (
    id TEXT PRIMARY KEY NOT NULL,
    season_id TEXT NOT NULL REFERENCES seasons (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    office_id TEXT REFERENCES organizations (id),
    country TEXT NOT NULL,
    name TEXT NOT NULL,
    pilgrims BIGINT NOT NULL,
    arrival_port TEXT NOT NULL,
    arrival_date DATE NOT NULL,
    departure_port TEXT NOT NULL,
    departure_date DATE NOT NULL,
    -- The ordered stays as JSON: [{"city": "makkah", "from": "2027-05-01", "to": "2027-05-05"}, ...]
    stays TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (pilgrims > 0)
);
CREATE INDEX pilgrim_groups_client ON pilgrim_groups (season_id, organization_id);
CREATE INDEX pilgrim_groups_country ON pilgrim_groups (season_id, country);

-- Inspections of approved contracts' facilities; a failure takes the contract's coverage out of
-- readiness until a later pass (DOMAIN.md section 6).
CREATE TABLE inspections (
    id TEXT PRIMARY KEY NOT NULL,
    contract_id TEXT NOT NULL REFERENCES contracts (id),
    facility_id TEXT NOT NULL REFERENCES facilities (id),
    inspected_on DATE NOT NULL,
    result TEXT NOT NULL CHECK (result IN ('pass', 'fail')),
    findings TEXT NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    actor_user_id TEXT,
    actor_api_key_id TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX inspections_contract ON inspections (contract_id);
