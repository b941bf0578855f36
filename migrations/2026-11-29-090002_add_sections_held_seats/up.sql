-- Seats freed outside a release time and held until `held_until` (the next release time when
-- the first of them was freed): counted neither as enrolled nor as free.
ALTER TABLE sections
  ADD COLUMN held_seats INT NOT NULL DEFAULT 0,
  ADD COLUMN held_until DATETIME NULL,
  ADD CONSTRAINT ck_sections_held_seats CHECK (held_seats >= 0);
