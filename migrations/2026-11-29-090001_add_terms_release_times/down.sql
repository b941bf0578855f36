ALTER TABLE terms DROP COLUMN release_times;
