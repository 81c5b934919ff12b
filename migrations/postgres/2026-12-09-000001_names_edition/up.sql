-- The edition of the names a contract shows (its facility's, its client's and its provider's): a
-- new tag, in the same transaction, each time one of those names changes. A process keeps the names
-- it has read under the tag it read them at, and a page of contracts reads the tag with its rows:
-- the kept names serve while the tag is the same (docs/architecture.md, "Names kept by each
-- process"). Random from the start, so that two databases never share a tag.
CREATE TABLE names_edition (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    tag TEXT NOT NULL
);
INSERT INTO names_edition (id, tag) VALUES (1, gen_random_uuid()::text);
