DROP INDEX sessions_revoked;
DROP INDEX sessions_expires;
DROP INDEX idempotent_requests_created;
DROP INDEX outbox_done;
