ALTER TABLE facilities DROP COLUMN name_ar;
