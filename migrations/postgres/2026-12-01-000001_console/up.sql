-- A session opened in the web console is found by the hash of the secret its cookie carries.
ALTER TABLE sessions ADD COLUMN console_secret_hash TEXT;
CREATE UNIQUE INDEX sessions_console_secret ON sessions (console_secret_hash);

-- The console speaks French and Persian too; users may save either.
ALTER TABLE users DROP CONSTRAINT users_language_check;
ALTER TABLE users ADD CONSTRAINT users_language_check CHECK (language IN ('ar', 'en', 'fr', 'fa'));
