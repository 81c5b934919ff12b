ALTER TABLE contracts DROP COLUMN status_reason;
