DELETE FROM outbox WHERE notification_id IS NULL;
ALTER TABLE outbox ALTER COLUMN notification_id SET NOT NULL;
DROP TABLE user_tokens;
