-- What is pruned after its retention is found by time without a scan.
CREATE INDEX outbox_done ON outbox (status, created_at);
CREATE INDEX idempotent_requests_created ON idempotent_requests (created_at);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_revoked ON sessions (revoked_at);
