-- Seat-release times of a term: Seoul local times ("09:00,13:00,17:00,21:00", sorted, without
-- repeats). NULL: no release times, a freed seat is free at once.
ALTER TABLE terms ADD COLUMN release_times VARCHAR(100) NULL;
