-- Documents (docs/domain.md section 12). Contents are kept once, addressed by their SHA-256,
-- however many records they are attached to; they are only ever added.
CREATE TABLE document_contents (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    media_type TEXT NOT NULL,
    content BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- A document attached to a facility, a contract, an amendment or an inspection. A withdrawn one
-- stays, with who withdrew it, when and why.
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    record_kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES document_contents (sha256),
    size BIGINT NOT NULL,
    valid_from DATE,
    valid_until DATE,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    uploaded_by_user_id TEXT,
    uploaded_by_api_key_id TEXT,
    uploaded_at TIMESTAMP NOT NULL,
    withdrawn_at TIMESTAMP,
    withdrawn_by_user_id TEXT,
    withdrawal_reason TEXT
);
CREATE INDEX documents_of_record ON documents (record_kind, record_id, id);
CREATE INDEX documents_by_content ON documents (sha256);
