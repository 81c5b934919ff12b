-- Facilities are named in Arabic too, like organisations (empty until a provider gives one).
ALTER TABLE facilities ADD COLUMN name_ar TEXT NOT NULL DEFAULT '';
