-- Single-use links that let a user set a password: an invitation (the admin chooses none) or a
-- reset ("forgot password"). Only the SHA-256 of the token is kept.
CREATE TABLE user_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('invitation', 'reset')),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX user_tokens_user ON user_tokens (user_id);
CREATE INDEX user_tokens_expires ON user_tokens (expires_at);

-- Emails about one's account (invitations, resets) belong to no organisation's inbox. SQLite
-- changes a column's constraint by rebuilding the table.
CREATE TABLE outbox_new (
    id TEXT PRIMARY KEY NOT NULL,
    notification_id TEXT REFERENCES notifications (id),
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
INSERT INTO outbox_new SELECT id, notification_id, recipient_email, recipient_name, language,
    subject, body_text, body_html, status, attempts, next_attempt_at, claimed_by, claimed_until,
    last_error, sent_at, created_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_done ON outbox (status, created_at);
