-- Readiness counts the facility papers lapsing before the end of an approved contract relying on
-- them (docs/domain.md section 12, R25); lines written before are brought up to date as a process
-- starts.
ALTER TABLE readiness_view ADD COLUMN lapsing BIGINT NOT NULL DEFAULT 0;

-- Expiry reminders already sent: one per lapsing document, organisation told (the facility's
-- provider, each client relying on it) and reminder (30, 14, 3 days before it lapses).
CREATE TABLE document_reminders (
    document_id TEXT NOT NULL REFERENCES documents (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    days_before INTEGER NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (document_id, organization_id, days_before)
);
