PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE users_new (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    email TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'officer', 'viewer')),
    language TEXT NOT NULL CHECK (language IN ('ar', 'en')),
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO users_new SELECT id, organization_id, email, full_name, role, CASE WHEN language IN ('ar', 'en') THEN language ELSE 'en' END,
    password_hash, active, version, created_at, updated_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_organization ON users (organization_id);
DROP INDEX sessions_console_secret;
ALTER TABLE sessions DROP COLUMN console_secret_hash;
COMMIT;
PRAGMA foreign_keys = ON;
