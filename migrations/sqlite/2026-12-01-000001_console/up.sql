PRAGMA foreign_keys = OFF;
BEGIN;
-- A session opened in the web console is found by the hash of the secret its cookie carries.
ALTER TABLE sessions ADD COLUMN console_secret_hash TEXT;
CREATE UNIQUE INDEX sessions_console_secret ON sessions (console_secret_hash);
-- The console speaks French and Persian too; users may save either. SQLite changes a column's
-- constraint by rebuilding the table (its documented procedure: foreign keys off meanwhile).
CREATE TABLE users_new (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    email TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'officer', 'viewer')),
    language TEXT NOT NULL CHECK (language IN ('ar', 'en', 'fr', 'fa')),
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO users_new SELECT id, organization_id, email, full_name, role, language,
    password_hash, active, version, created_at, updated_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_organization ON users (organization_id);
COMMIT;
PRAGMA foreign_keys = ON;
