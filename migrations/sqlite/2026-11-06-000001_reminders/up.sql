-- Deadline reminders already sent: one per client, season, contract type and reminder (14, 7, 1 days).
CREATE TABLE reminders (
    season_id TEXT NOT NULL REFERENCES seasons (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    contract_type TEXT NOT NULL,
    days_before INTEGER NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (season_id, organization_id, contract_type, days_before)
);
