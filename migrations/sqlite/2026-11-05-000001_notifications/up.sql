-- Each organisation's inbox (DOMAIN.md section 9). Written in the transaction of the change it tells
-- of; rendered in the reader's language when read.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    template TEXT NOT NULL,
    params TEXT NOT NULL,
    entity_id TEXT,
    read_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX notifications_inbox ON notifications (organization_id, id);

-- Emails to send: a transactional outbox. A worker in every process claims due rows for a lease,
-- sends them, and marks them sent, or schedules a retry with a growing delay.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY NOT NULL,
    notification_id TEXT NOT NULL REFERENCES notifications (id),
    recipient_email TEXT NOT NULL,
    recipient_name TEXT NOT NULL,
    language TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_by TEXT,
    claimed_until TIMESTAMP,
    last_error TEXT,
    sent_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
