-- Money (docs/domain.md section 11): a double-entry ledger in exact halalas. Transactions and their
-- entries are only ever added; every balance is the sum of an account's entries.

-- How a season pays contracts of one type: instalments in order, shares of the contract's value
-- in whole percent adding up to 100, each due at an event.
CREATE TABLE payment_schedules (
    season_id TEXT NOT NULL REFERENCES seasons (id),
    contract_type TEXT NOT NULL,
    position BIGINT NOT NULL,
    share_percent BIGINT NOT NULL CHECK (share_percent BETWEEN 1 AND 100),
    due TEXT NOT NULL,
    PRIMARY KEY (season_id, contract_type, position)
);

-- The rest of a season's terms for a contract type: the guarantee a client lodges from its wallet
-- when it submits a contract, a whole percent of the contract's value.
CREATE TABLE payment_terms (
    season_id TEXT NOT NULL REFERENCES seasons (id),
    contract_type TEXT NOT NULL,
    guarantee_percent BIGINT NOT NULL CHECK (guarantee_percent BETWEEN 0 AND 100),
    PRIMARY KEY (season_id, contract_type)
);

-- One account per organisation, season and kind (a client's wallet, what it has committed, its
-- guarantees; what a provider has received; the ministry's bank account the transfers come in by).
CREATE TABLE ledger_accounts (
    id TEXT PRIMARY KEY NOT NULL,
    season_id TEXT NOT NULL REFERENCES seasons (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    kind TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ledger_accounts_one_per_kind ON ledger_accounts (season_id, organization_id, kind);

-- A bank reference is recorded once; an instalment of a contract is paid once.
CREATE TABLE ledger_transactions (
    id TEXT PRIMARY KEY NOT NULL,
    season_id TEXT NOT NULL REFERENCES seasons (id),
    kind TEXT NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    contract_id TEXT REFERENCES contracts (id),
    instalment BIGINT,
    bank_reference TEXT,
    memo TEXT NOT NULL,
    actor_user_id TEXT,
    actor_api_key_id TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ledger_transactions_bank_reference ON ledger_transactions (bank_reference);
CREATE UNIQUE INDEX ledger_transactions_instalment ON ledger_transactions (contract_id, instalment);
CREATE INDEX ledger_transactions_season ON ledger_transactions (season_id, kind);

CREATE TABLE ledger_entries (
    id TEXT PRIMARY KEY NOT NULL,
    transaction_id TEXT NOT NULL REFERENCES ledger_transactions (id),
    account_id TEXT NOT NULL REFERENCES ledger_accounts (id),
    contract_id TEXT REFERENCES contracts (id),
    amount BIGINT NOT NULL CHECK (amount <> 0),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ledger_entries_account ON ledger_entries (account_id, id);
CREATE INDEX ledger_entries_contract ON ledger_entries (contract_id, account_id);
CREATE INDEX ledger_entries_transaction ON ledger_entries (transaction_id);

CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'the ledger is only ever added to'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'the ledger is only ever added to'); END;
CREATE TRIGGER ledger_transactions_no_update BEFORE UPDATE ON ledger_transactions
BEGIN SELECT RAISE(ABORT, 'the ledger is only ever added to'); END;
CREATE TRIGGER ledger_transactions_no_delete BEFORE DELETE ON ledger_transactions
BEGIN SELECT RAISE(ABORT, 'the ledger is only ever added to'); END;
