DROP TABLE document_reminders;
ALTER TABLE readiness_view DROP COLUMN lapsing;
