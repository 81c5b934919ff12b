DROP TABLE api_keys;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE organization_grants;
DROP TABLE organization_countries;
DROP TABLE organizations;
