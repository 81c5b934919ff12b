DROP TABLE names_edition;
