ALTER TABLE sections DROP CONSTRAINT ck_sections_held_seats, DROP COLUMN held_until, DROP COLUMN held_seats;
