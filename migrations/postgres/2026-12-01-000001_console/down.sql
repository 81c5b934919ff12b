UPDATE users SET language = 'en' WHERE language NOT IN ('ar', 'en');
ALTER TABLE users DROP CONSTRAINT users_language_check;
ALTER TABLE users ADD CONSTRAINT users_language_check CHECK (language IN ('ar', 'en'));
DROP INDEX sessions_console_secret;
ALTER TABLE sessions DROP COLUMN console_secret_hash;
