DROP TABLE inspections;
DROP TABLE pilgrim_groups;
