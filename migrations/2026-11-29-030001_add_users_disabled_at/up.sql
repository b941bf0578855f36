-- A disabled account cannot sign in and its session ends at once; NULL = active. Kept as an
-- instant (not a flag) so the console can show since when.
ALTER TABLE users ADD COLUMN disabled_at DATETIME(6) NULL;
