DROP FUNCTION IF EXISTS ledger_is_append_only CASCADE;
DROP TABLE ledger_entries;
DROP TABLE ledger_transactions;
DROP TABLE ledger_accounts;
DROP TABLE payment_terms;
DROP TABLE payment_schedules;
