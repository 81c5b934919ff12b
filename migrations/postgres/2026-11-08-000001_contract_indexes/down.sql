DROP INDEX contracts_client_coverage;
DROP INDEX contracts_provider_page;
DROP INDEX contracts_office_page;
DROP INDEX contracts_client_page;
CREATE INDEX contracts_client ON contracts (client_id);
CREATE INDEX contracts_office ON contracts (client_office_id);
CREATE INDEX contracts_provider ON contracts (provider_id);
