-- Readiness counts what a client's wallet lacks for its contracts awaiting approval (docs/domain.md
-- section 11, R20); lines written before are brought up to date as a process starts.
ALTER TABLE readiness_view ADD COLUMN unfunded BIGINT NOT NULL DEFAULT 0;

-- Wallet reminders already sent: one per client, season, first day of the contracts falling due
-- and reminder (14, 7, 1 days before it).
CREATE TABLE wallet_reminders (
    season_id TEXT NOT NULL REFERENCES seasons (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    first_day DATE NOT NULL,
    days_before INTEGER NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (season_id, organization_id, first_day, days_before)
);
