ALTER TABLE terms DROP CONSTRAINT ck_terms_allocation_policy, DROP COLUMN allocation_policy;
