-- A page of one client's, office's or provider's contracts comes in id order straight from its
-- index (no sort of all their contracts), and a client's approved contracts of a season (its
-- readiness) are found without reading the whole season's.
DROP INDEX contracts_client;
DROP INDEX contracts_office;
DROP INDEX contracts_provider;
CREATE INDEX contracts_client_page ON contracts (client_id, id);
CREATE INDEX contracts_office_page ON contracts (client_office_id, id);
CREATE INDEX contracts_provider_page ON contracts (provider_id, id);
CREATE INDEX contracts_client_coverage ON contracts (client_id, season_id, status);
