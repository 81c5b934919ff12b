DROP TABLE document_rules;
