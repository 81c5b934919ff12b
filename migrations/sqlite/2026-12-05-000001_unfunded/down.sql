DROP TABLE wallet_reminders;
ALTER TABLE readiness_view DROP COLUMN unfunded;
