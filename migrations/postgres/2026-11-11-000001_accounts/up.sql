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

-- Emails about one's account (invitations, resets) belong to no organisation's inbox.
ALTER TABLE outbox ALTER COLUMN notification_id DROP NOT NULL;
