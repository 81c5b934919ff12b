CREATE TABLE seasons (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('hajj', 'umrah')),
    hijri_year INTEGER NOT NULL,
    name TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    housing_deadline DATE NOT NULL,
    transport_deadline DATE NOT NULL,
    catering_deadline DATE NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (starts_on <= ends_on)
);
CREATE UNIQUE INDEX seasons_one_per_year ON seasons (kind, hijri_year);

-- A country's pilgrims in a season, and how many of them are allocated to its office (R1).
CREATE TABLE quotas (
    season_id TEXT NOT NULL REFERENCES seasons (id),
    country TEXT NOT NULL,
    pilgrims BIGINT NOT NULL,
    allocated BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (season_id, country),
    CHECK (allocated >= 0 AND allocated <= pilgrims)
);

-- A client's pilgrims, and how many of them an office passed on to its agencies (R1).
CREATE TABLE allocations (
    season_id TEXT NOT NULL REFERENCES seasons (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    pilgrims BIGINT NOT NULL,
    suballocated BIGINT NOT NULL,
    lock_version BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (season_id, organization_id),
    CHECK (suballocated >= 0 AND suballocated <= pilgrims)
);

CREATE TABLE extensions (
    id TEXT PRIMARY KEY NOT NULL,
    season_id TEXT NOT NULL REFERENCES seasons (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    contract_type TEXT NOT NULL CHECK (contract_type IN ('housing', 'transport', 'catering')),
    until DATE NOT NULL,
    reason TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX extensions_lookup ON extensions (season_id, organization_id, contract_type);

CREATE TABLE facilities (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES organizations (id),
    kind TEXT NOT NULL CHECK (kind IN ('building', 'fleet', 'kitchen')),
    name TEXT NOT NULL,
    search_key TEXT NOT NULL,
    city TEXT NOT NULL,
    licence_no TEXT NOT NULL,
    licence_valid_from DATE NOT NULL,
    licence_valid_to DATE NOT NULL,
    capacity BIGINT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (capacity > 0),
    CHECK (licence_valid_from <= licence_valid_to)
);
CREATE INDEX facilities_provider ON facilities (provider_id);
CREATE UNIQUE INDEX facilities_one_licence ON facilities (kind, licence_no);

-- Capacity per licensed day and what pending and approved contracts hold of it (R4).
-- Held units only ever change by one conditional statement: held + n <= capacity.
CREATE TABLE facility_days (
    facility_id TEXT NOT NULL REFERENCES facilities (id),
    day DATE NOT NULL,
    capacity BIGINT NOT NULL,
    held BIGINT NOT NULL,
    PRIMARY KEY (facility_id, day),
    CHECK (held >= 0 AND held <= capacity)
);

-- What a client's pending and approved contracts hold of its allocation, per key and day (R7).
CREATE TABLE client_days (
    season_id TEXT NOT NULL REFERENCES seasons (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    allocation_key TEXT NOT NULL,
    day DATE NOT NULL,
    held BIGINT NOT NULL,
    PRIMARY KEY (season_id, organization_id, allocation_key, day),
    CHECK (held >= 0)
);

CREATE TABLE contracts (
    id TEXT PRIMARY KEY NOT NULL,
    season_id TEXT NOT NULL REFERENCES seasons (id),
    contract_type TEXT NOT NULL CHECK (contract_type IN ('housing', 'transport', 'catering')),
    client_id TEXT NOT NULL REFERENCES organizations (id),
    client_office_id TEXT REFERENCES organizations (id),
    client_country TEXT NOT NULL,
    provider_id TEXT NOT NULL REFERENCES organizations (id),
    facility_id TEXT NOT NULL REFERENCES facilities (id),
    status TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    units BIGINT NOT NULL,
    route_from TEXT,
    route_to TEXT,
    meals_per_day BIGINT,
    unit_price BIGINT NOT NULL,
    currency TEXT NOT NULL,
    total BIGINT NOT NULL,
    search_key TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX contracts_client ON contracts (client_id);
CREATE INDEX contracts_office ON contracts (client_office_id);
CREATE INDEX contracts_country ON contracts (client_country);
CREATE INDEX contracts_provider ON contracts (provider_id);
CREATE INDEX contracts_facility ON contracts (facility_id);
CREATE INDEX contracts_season_status ON contracts (season_id, status);

CREATE TABLE amendments (
    id TEXT PRIMARY KEY NOT NULL,
    contract_id TEXT NOT NULL REFERENCES contracts (id),
    status TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    units BIGINT NOT NULL,
    route_from TEXT,
    route_to TEXT,
    meals_per_day BIGINT,
    unit_price BIGINT NOT NULL,
    total BIGINT NOT NULL,
    reason TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX amendments_contract ON amendments (contract_id);
-- At most one amendment of a contract is open at a time.
CREATE UNIQUE INDEX amendments_one_open ON amendments (contract_id) WHERE status IN ('pending_provider', 'pending_review');

-- Every transition and amendment step, append-only (R9).
CREATE TABLE contract_events (
    id TEXT PRIMARY KEY NOT NULL,
    contract_id TEXT NOT NULL REFERENCES contracts (id),
    amendment_id TEXT REFERENCES amendments (id),
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    reason TEXT,
    actor_user_id TEXT,
    actor_api_key_id TEXT,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    at TIMESTAMP NOT NULL
);
CREATE INDEX contract_events_contract ON contract_events (contract_id);

-- Creation requests by Idempotency-Key (R10): the same key and body get the first answer again.
CREATE TABLE idempotency_keys (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    contract_id TEXT NOT NULL REFERENCES contracts (id),
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organization_id, idempotency_key)
);
