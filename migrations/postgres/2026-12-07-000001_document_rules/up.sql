-- The document kinds a submission needs, per season and contract type (docs/domain.md section 12,
-- R24).
CREATE TABLE document_rules (
    season_id TEXT NOT NULL REFERENCES seasons (id),
    contract_type TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (season_id, contract_type, kind)
);
