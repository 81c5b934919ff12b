-- Each client's readiness in a season as the all-clients view lists it, written in the transaction
-- of every change to its inputs (docs/domain.md section 5). `rank` orders the view worst first:
-- incomplete before ready, then by how much of the allocation is planned and covered.
CREATE TABLE readiness_view (
    season_id TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES organizations (id),
    allocation BIGINT NOT NULL,
    planned BIGINT NOT NULL,
    unplanned BIGINT NOT NULL,
    ready BOOLEAN NOT NULL,
    rank BIGINT NOT NULL,
    housing_needed BIGINT NOT NULL,
    housing_covered BIGINT NOT NULL,
    transport_needed BIGINT NOT NULL,
    transport_covered BIGINT NOT NULL,
    catering_needed BIGINT NOT NULL,
    catering_covered BIGINT NOT NULL,
    gaps BIGINT NOT NULL,
    visa_eligible BIGINT NOT NULL,
    PRIMARY KEY (season_id, client_id)
);
CREATE INDEX readiness_view_worst_first ON readiness_view (season_id, rank, client_id);
